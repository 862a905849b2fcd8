/**
 * A `management.http` service's `<properties>`: `read-only`, which Kaazing lacked (its management services were JMX
 * and SNMP, read-only by design). With it, the service answers every reading request and refuses the ones that
 * change something (closing connections), so monitoring can be given the status page without that power.
 */
import { attempt, type Diagnostics } from './diagnostics.js';
import { parseEnum } from './grammar.js';
import { checkChildren, first, leafText, sequence } from './structure.js';
import type { ManagementProperties } from './types.js';
import type { XmlElement } from './xml.js';

const MANAGEMENT_CONTENT = sequence('read-only?');

export function readManagementProperties(block: XmlElement | undefined, diags: Diagnostics): ManagementProperties {
  if (block === undefined) return { readOnly: false };
  const children = checkChildren(block, MANAGEMENT_CONTENT, diags);
  const readOnly = first(children, 'read-only');
  const value = readOnly && attempt(diags, readOnly.position, () => parseEnum(leafText(readOnly, diags), ['true', 'false'], '<read-only>'));
  return { readOnly: value === 'true' };
}
