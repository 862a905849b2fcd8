/**
 * TCP keep-alive for both ends of a connection: the first probe goes after this long without traffic. A NAT or
 * firewall between the gateway and a client or backend that forgets idle flows would otherwise leave a connection
 * that looks open at our end until the next write, while the WebSocket's own pings only cover the client side.
 */
export const KEEPALIVE_DELAY_MS = 60_000;
