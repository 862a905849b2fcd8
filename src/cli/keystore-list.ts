import { GatewayError, isGatewayError } from '../errors.js';
import { loadStoreFile } from '../keystore/index.js';
import { describeStore, formatStoreListing } from '../keystore/inspect.js';
import { EXIT } from './exit-codes.js';

export interface KeystoreListOptions {
  readonly type?: string | undefined;
  readonly passwordFile?: string | undefined;
  readonly passwordEnv?: string | undefined;
  readonly json?: boolean | undefined;
}

/** `gateway keystore list FILE`: what keytool -list -v shows, for every format the gateway reads. */
export function keystoreList(file: string, opts: KeystoreListOptions, out: (line: string) => void): number {
  let password: string | undefined;
  try {
    if (opts.passwordEnv !== undefined) {
      password = process.env[opts.passwordEnv];
      if (password === undefined) {
        throw new GatewayError('GW_ERR_USAGE', `--password-env names ${opts.passwordEnv}, which is not set in the environment`);
      }
    }
    // Without a password a store is read as a truststore is: no integrity check, and key entries cannot be opened.
    const contents = loadStoreFile({ file, type: opts.type, password, passwordFile: opts.passwordFile, role: 'store' });
    if (opts.json) out(JSON.stringify({ file, format: contents.format, warnings: contents.warnings, entries: describeStore(contents) }, null, 2));
    else out(formatStoreListing(file, contents));
    return EXIT.OK;
  } catch (e) {
    if (!isGatewayError(e)) throw e;
    const noPassword = password === undefined && opts.passwordFile === undefined;
    const shown =
      e.code === 'GW_ERR_STORE_PASSWORD' && noPassword
        ? new GatewayError(e.code, e.message, { hint: "give --password-file FILE or --password-env VAR; Kaazing's own truststore.db and Java's cacerts use changeit" })
        : e;
    // The store module speaks in config terms; on this command line the type is an option.
    process.stderr.write(shown.format().replace(/<type>(\w+)<\/type>/g, '--type $1') + '\n');
    return e.code === 'GW_ERR_USAGE' ? EXIT.USAGE : EXIT.INVALID;
  }
}
