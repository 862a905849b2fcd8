/**
 * A directory service's `<properties>` (Kaazing's `directoryServicePropertiesType`): `directory`, `welcome-file`,
 * `error-pages-directory`, `options` and `<location>`s, in that order.
 *
 * Paths resolve as Kaazing's do against its GATEWAY_HOME, which for this gateway is the parent of the folder the
 * configuration file is in (`conf/gateway-config.xml` → `.`): `directory` against GATEWAY_HOME/web, so `/` is the
 * web root and `/app` is web/app; `error-pages-directory` against GATEWAY_HOME. A `file:` URI is absolute. The
 * directories must exist when the configuration is checked.
 */
import { statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GatewayError } from '../errors.js';
import { parseCacheControl } from './cache-control.js';
import { attempt, type Diagnostics } from './diagnostics.js';
import { checkChildren, first, leafText, sequence } from './structure.js';
import type { DirectoryLocation, DirectoryProperties } from './types.js';
import type { XmlElement } from './xml.js';

const DIRECTORY_CONTENT = sequence('directory', 'welcome-file?', 'error-pages-directory?', 'options?', 'location*');

/** `configDir`: the folder of the configuration file; GATEWAY_HOME is its parent. */
export function readDirectoryProperties(block: XmlElement | undefined, service: XmlElement, configDir: string, diags: Diagnostics): DirectoryProperties | undefined {
  if (block === undefined) {
    diags.error('GW_ERR_CONFIG_MISSING', 'Missing required element: <properties> in a directory service (it needs at least <directory>)', service.position, 'add <properties><directory>/</directory></properties>');
    return undefined;
  }
  const children = checkChildren(block, DIRECTORY_CONTENT, diags);
  const home = dirname(configDir);
  const text = (name: string): { value: string; element: XmlElement } | undefined => {
    const element = first(children, name);
    return element === undefined ? undefined : { value: leafText(element, diags), element };
  };
  const dirText = text('directory');
  const directory = dirText && attempt(diags, dirText.element.position, () => existingDirectory('directory', dirText.value, join(home, 'web')));
  const errorText = text('error-pages-directory');
  const errorPagesDirectory = errorText && attempt(diags, errorText.element.position, () => existingDirectory('error-pages-directory', errorText.value, home));
  const welcome = text('welcome-file');
  if (welcome !== undefined && (welcome.value === '' || /[/\\\0:]/.test(welcome.value) || welcome.value === '.' || welcome.value === '..')) {
    diags.error('GW_ERR_CONFIG_VALUE', `Invalid <welcome-file> "${welcome.value}": expected a file name, such as index.html`, welcome.element.position);
  }
  const options = text('options');
  if (options !== undefined && options.value.toLowerCase() !== 'indexes') {
    diags.error('GW_ERR_CONFIG_VALUE', `Invalid <options> "${options.value}": the only option is indexes`, options.element.position);
  }
  const locations = (children.get('location') ?? []).flatMap((e) => readLocation(e, diags) ?? []);
  if (directory === undefined || (errorText !== undefined && errorPagesDirectory === undefined)) return undefined;
  return {
    directory,
    welcomeFile: welcome?.value || undefined,
    errorPagesDirectory,
    indexes: options?.value.toLowerCase() === 'indexes',
    locations,
  };
}

function existingDirectory(what: string, value: string, base: string): string {
  if (value === '') throw new GatewayError('GW_ERR_CONFIG_MISSING', `<${what}> is empty`);
  let path: string;
  if (/^[a-z][a-z0-9+.-]*:/i.test(value)) {
    if (!value.toLowerCase().startsWith('file:')) throw new GatewayError('GW_ERR_CONFIG_VALUE', `<${what}> "${value}" must be a path or a file: URI`);
    try {
      path = fileURLToPath(value);
    } catch (e) {
      throw new GatewayError('GW_ERR_CONFIG_VALUE', `<${what}> "${value}" is not a valid file: URI`, { cause: e });
    }
  } else {
    // Kaazing's rule: a path, even one starting with /, is below the base (write a file: URI for an absolute one).
    path = join(base, value);
  }
  let isDirectory: boolean;
  try {
    isDirectory = statSync(path).isDirectory();
  } catch (e) {
    throw new GatewayError('GW_ERR_CONFIG_VALUE', `<${what}> "${value}" names ${path}, which does not exist or cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`, {
      cause: e,
      hint: `a path is below ${base}; write file:///absolute/path for a directory elsewhere`,
    });
  }
  if (!isDirectory) throw new GatewayError('GW_ERR_CONFIG_VALUE', `<${what}> "${value}" names ${path}, which is not a directory`);
  return path.length > 1 ? path.replace(/\/+$/, '') : path;
}

function readLocation(element: XmlElement, diags: Diagnostics): DirectoryLocation | undefined {
  const children = checkChildren(element, sequence('patterns', 'cache-control'), diags);
  const patternsElement = first(children, 'patterns');
  const ccElement = first(children, 'cache-control');
  if (patternsElement === undefined || ccElement === undefined) return undefined;
  const patterns = leafText(patternsElement, diags).split(/\s+/).filter((p) => p !== '');
  if (patterns.length === 0) diags.error('GW_ERR_CONFIG_MISSING', '<patterns> is empty: expected Ant-style patterns such as **/*.js', patternsElement.position);
  const cacheControl = attempt(diags, ccElement.position, () => parseCacheControl(leafText(ccElement, diags)));
  if (cacheControl === undefined || patterns.length === 0) return undefined;
  return { patterns, cacheControl, position: element.position };
}
