# The gateway in a container. Not built or run by this project's tests (docker is not available where they run):
# see docs/deployment.md for what is and is not tested.
#
#   docker build -t wss-gateway .
#   docker run --rm -p 443:8443 -p 9090:9090 \
#     -v /etc/gateway:/etc/gateway:ro wss-gateway
#
# The configuration and stores are mounted at /etc/gateway (in Kubernetes, from a Secret); the image holds none.
FROM node:20-bookworm-slim AS build
WORKDIR /opt/gateway
COPY package.json package-lock.json ./
# Dependencies first, without the prepare script (it builds, and the sources are not copied yet).
RUN npm ci --ignore-scripts
COPY tsconfig.json ./
COPY bin ./bin
COPY src ./src
COPY test ./test
COPY bench ./bench
COPY soak ./soak
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /opt/gateway
COPY --from=build /opt/gateway/package.json /opt/gateway/package-lock.json ./
COPY --from=build /opt/gateway/node_modules ./node_modules
COPY --from=build /opt/gateway/dist ./dist
COPY bin ./bin
COPY conf ./conf
COPY docs ./docs
# The node image's unprivileged user; ports above 1024 need no capability.
USER node
EXPOSE 8443 9090
# SIGTERM drains (readiness false, connections closed over --drain-timeout); docker stop's default 10 s grace is too
# short for that: run with `docker stop -t 45` or lower --drain-timeout.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/opt/gateway/bin/gateway"]
CMD ["start", "--config", "/etc/gateway/gateway-config.xml", "--log-format", "json", "--drain-timeout", "30s"]
