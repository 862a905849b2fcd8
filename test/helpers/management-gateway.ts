/** The configuration the management tests run: an echo service and a management.http service, and more if asked. */
import type { Workspace } from './e2e-setup.js';

export const ECHO = 'ws://127.0.0.1:0/echo';

/** Writes the configuration into `space` and returns its path; `extra` is added inside <gateway-config>. */
export function echoAndManagementConfig(space: Workspace, management: string, extra = ''): string {
  return space.config(`
  <service>
    <name>echo</name>
    <accept>${ECHO}</accept>
    <type>echo</type>
  </service>
  <service>
    <name>management</name>
    <accept>${management}</accept>
    <type>management.http</type>
  </service>
${extra}`);
}
