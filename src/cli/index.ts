/**
 * `bin/gateway`: the only part of the gateway that prints. Parses the command line, makes the logger, runs the
 * command, and turns the outcome into an exit code (see exit-codes.ts).
 */
import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { parseTimeInterval } from '../config/grammar.js';
import { GatewayError, isGatewayError } from '../errors.js';
import { DEFAULT_DRAIN_TIMEOUT_MS } from '../gateway.js';
import { check } from './check.js';
import { connect } from './connect.js';
import type { ConnectFlags } from './connect-args.js';
import { EXIT } from './exit-codes.js';
import { keystoreList } from './keystore-list.js';
import { parseStoreType, STORE_TYPE_NAMES } from '../keystore/detect.js';
import { createLogger, type LogFormat } from './logger.js';
import { DEV_PKI_DIR, GATEWAY_HOME } from './paths.js';
import { start } from './start.js';
import { devPki } from './dev-pki.js';
import type { KeyType } from '../devpki/issue.js';
import { MANAGEMENT_URL_ENV } from './management-client.js';
import { sessionsClose, sessionsList, status, type Output } from './management-commands.js';
import { reportStarted, runPrimary } from './workers.js';

interface ConfigOptions {
  config?: string;
  define: Record<string, string>;
}

interface CommonOptions extends ConfigOptions {
  logFormat?: LogFormat;
  logLevel: string;
}

interface StartOptions extends CommonOptions {
  workers: number;
  drainTimeout: number;
}

interface ConnectOptions extends ConnectFlags {
  logFormat?: LogFormat;
  logLevel: string;
  drainTimeout: number;
}

function parseWorkers(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new GatewayError('GW_ERR_USAGE', `--workers expects a whole number from 1 to 256, got "${value}"`);
  return n;
}

/** `--drain-timeout`: a time interval as the configuration writes them (30, 30s, 1500ms, 2 minutes), 0 to 1 hour. */
function parseDrainTimeout(value: string): number {
  let ms: number;
  try {
    ms = parseTimeInterval(value);
  } catch {
    throw new GatewayError('GW_ERR_USAGE', `--drain-timeout expects a time interval such as 30s, 1500ms or 2m, got "${value}"`);
  }
  if (ms > 3_600_000) throw new GatewayError('GW_ERR_USAGE', `--drain-timeout is at most 1 hour, got "${value}"`);
  return ms;
}

/** `start` and `connect` drain alike, so they take the option in the same words. */
function drainTimeoutOption(): Option {
  return (
    new Option('--drain-timeout <interval>', 'on SIGTERM, close open connections spread over this long, then exit (e.g. 30s, 1500ms, 2m)')
      .argParser(parseDrainTimeout)
      // Shown as it would be typed: the value itself is in milliseconds, which the option would read as seconds.
      .default(DEFAULT_DRAIN_TIMEOUT_MS, `${DEFAULT_DRAIN_TIMEOUT_MS / 1000}s`)
  );
}

function collectDefine(value: string, previous: Record<string, string>): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new GatewayError('GW_ERR_USAGE', `-D expects name=value, got "${value}"`);
  return { ...previous, [value.slice(0, eq)]: value.slice(eq + 1) };
}

function version(): string {
  const pkg = JSON.parse(readFileSync(join(GATEWAY_HOME, 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

function withLogOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--log-format <format>', 'log format (default: text on a terminal, json otherwise)').choices(['json', 'text']))
    .addOption(new Option('--log-level <level>', 'log level').choices(['debug', 'info', 'warn', 'error']).default('info'));
}

/** Where the management API is and, for https://, the certificate to present and the CAs to trust. */
function withManagementOptions(cmd: Command): Command {
  return cmd
    .option('--url <url>', `the management.http service's accept, e.g. https://localhost:9443/manage (default: $${MANAGEMENT_URL_ENV})`)
    .option('--keystore <file>', 'the client certificate and key to present (https://)')
    .option('--password-file <file>', "file whose first line is the keystore's password")
    .option('--keystore-type <type>', 'JKS, JCEKS, PKCS12 or PEM (default: from the extension, then the content)')
    .option('--alias <alias>', 'the keystore entry to present (default: the first key entry)')
    .option('--truststore <file>', "CAs the gateway's certificate must chain to (default: the CAs Node trusts)")
    .option('--truststore-password-file <file>', "file whose first line is the truststore's password")
    .option('--truststore-type <type>', 'JKS, JCEKS, PKCS12 or PEM (default: from the extension, then the content)');
}

function withSessionFilter(cmd: Command): Command {
  return cmd
    .option('--service <name>', 'only connections of this service')
    .option('--subject <dn>', 'only connections whose certificate has this subject, as listed')
    .option('--fingerprint <sha256>', 'only connections whose certificate has this SHA-256 fingerprint (colons optional)');
}

function withConfigOptions(cmd: Command): Command {
  return cmd
    .option('-c, --config <path>', 'gateway configuration file (default: conf/gateway-config.xml in the gateway\'s own folder, as in Kaazing\'s GATEWAY_HOME)')
    .addOption(
      // The empty object is where repeated -D values collect, not a default worth showing.
      new Option('-D, --define <name=value>', 'set a ${name} property; wins over <properties> (repeatable)').argParser(collectDefine).default({}, 'none'),
    );
}

function withCommonOptions(cmd: Command): Command {
  return withLogOptions(withConfigOptions(cmd));
}

const CONNECT_HELP = `
Local clients on --listen are carried to --to as a proxy <service> would carry
them; the command logs, stops and exits as \`start\` does: SIGTERM drains (new
clients refused, open ones closed spread over --drain-timeout), a second SIGTERM
or SIGINT closes them all at once. SIGHUP is logged and changes nothing: the
flags are the whole configuration.

  --listen   a bare port listens on 127.0.0.1 only, so that other machines
             cannot use the bridge; write 0.0.0.0:PORT for every interface
  --to       without --truststore, a wss:// or ssl:// target's certificate is
             verified against the CAs Node trusts by default
  --keystore needed only when the target asks for a client certificate

Relative paths are read from the current directory.

Example:
  gateway connect --listen 5000 \\
      --to wss://gateway.example.com/devices/device-1 \\
      --keystore device-1.p12 --password-file device-1.pw --prepared 1`;

function usageLine(commanderText: string): string {
  const [first = '', ...rest] = commanderText.trim().replace(/^error: /, '').split('\n');
  const suggestion = /^\(Did you mean (.*)\?\)$/.exec(rest.join(' ').trim())?.[1];
  const hint = suggestion !== undefined ? `did you mean ${suggestion}?` : 'gateway help [command] lists the commands and their options';
  return new GatewayError('GW_ERR_USAGE', first.replace(/\.$/, ''), { hint }).format();
}

export async function main(argv: readonly string[]): Promise<number> {
  let exitCode: number = EXIT.OK;
  const program = new Command('gateway')
    .description('A WebSocket gateway that reads Kaazing gateway-config.xml files.')
    .version(version(), '-v, --version')
    .exitOverride()
    // Commander's own messages ("error: unknown option '--x'") get the code every other failure has.
    .configureOutput({ outputError: (str, write) => write(usageLine(str) + '\n') });

  withCommonOptions(program.command('start').description('run the gateway until SIGINT or SIGTERM'))
    .option('-w, --workers <n>', 'processes sharing the listening ports (a crashed one is replaced)', parseWorkers, 1)
    .addOption(drainTimeoutOption())
    .addHelpText(
      'after',
      `
Signals: SIGHUP reloads the configuration (so does saving the XML, a store or a
password file); SIGTERM drains: new connections are refused and open ones closed
(1001) spread over --drain-timeout, a second SIGTERM closes them all at once;
SIGINT stops at once.`,
    )
    .action(async (opts: StartOptions) => {
      if (opts.workers > 1 && cluster.isPrimary) {
        exitCode = await runPrimary(opts.workers, { configPath: opts.config, defines: opts.define }, opts.drainTimeout, createLogger(opts.logFormat, opts.logLevel, { bindings: { role: 'primary' }, nonBlocking: true }));
        return;
      }
      const bindings = cluster.isWorker ? { worker: cluster.worker?.id } : undefined;
      exitCode = await start(opts.config, opts.define, createLogger(opts.logFormat, opts.logLevel, { bindings, nonBlocking: true }), { onStarted: reportStarted, drainTimeoutMs: opts.drainTimeout });
    });

  // No log options: findings go to stdout as the command's report, in one form, and the logger only carries the
  // warnings of loading stores, as text.
  withConfigOptions(
    program.command('check').description('check the configuration, its stores and certificates without binding anything'),
  ).action((opts: ConfigOptions) => {
    const log = createLogger('text', 'warn');
    exitCode = check(opts.config, opts.define, log, (line) => process.stdout.write(line + '\n'));
  });

  withLogOptions(
    program
      .command('connect')
      .usage('--listen [HOST:]PORT --to URI [options]')
      .description('bridge a local TCP port to a gateway or server (the device side), without a configuration file')
      .option('--listen <[host:]port>', 'where local clients connect (a bare port means 127.0.0.1:PORT)')
      .option('--to <uri>', 'where to carry them: wss://HOST[:PORT]/PATH, ws://…, ssl://HOST:PORT or tcp://HOST:PORT')
      .option('--keystore <file>', 'the client certificate and key presented when the target asks for one')
      .option('--password-file <file>', "file whose first line is the keystore's password")
      .option('--keystore-type <type>', 'JKS, JCEKS, PKCS12 or PEM (default: from the extension, then the content)')
      .option('--alias <alias>', 'the keystore entry to present (default: the first key entry)')
      .option('--truststore <file>', "CAs the target's certificate must chain to (default: the CAs Node trusts)")
      .option('--truststore-password-file <file>', "file whose first line is the truststore's password")
      .option('--truststore-type <type>', 'JKS, JCEKS, PKCS12 or PEM (default: from the extension, then the content)')
      .option('--prepared <n>', 'connections kept open to the target ahead of local clients, at most 1000 (default: 0, connect per client)')
      .option('--inactivity-timeout <interval>', 'wss:// and ws:// targets: ping the target when quiet for half of it, and drop a connection (a ready one too) that stays silent (default: off)')
      .option('--maximum-pending-bytes <size>', 'bytes queued per direction before the sender is paused, and what a ready connection holds of what the target sends first (default: 64000)')
      .option('--close-timeout <interval>', 'once one side has closed, how long the other may go without a byte moving before it is cut (default: 5s)')
      .option('--idle-timeout <interval>', 'close a connection through which no byte has moved either way for this long (default: never)')
      .addOption(drainTimeoutOption())
      .addHelpText('after', CONNECT_HELP),
  ).action(async (opts: ConnectOptions) => {
    exitCode = await connect(opts, createLogger(opts.logFormat, opts.logLevel, { nonBlocking: true }), { drainTimeoutMs: opts.drainTimeout });
  });

  const keystore = program.command('keystore').description('inspect key and trust stores');
  keystore
    .command('list')
    .description('list the entries of a JKS, JCEKS, PKCS12 or PEM store, like keytool -list -v')
    .argument('<file>', 'the store')
    .addOption(new Option('--type <type>', 'store type: JKS, JCEKS, PKCS12 or PEM (default: from the extension, then the content)').argParser((text) => {
      if (parseStoreType(text) === undefined) throw new InvalidArgumentError(`Allowed values are ${STORE_TYPE_NAMES}.`);
      return text;
    }))
    .addOption(new Option('--password-file <file>', 'file whose first line is the store password').conflicts('passwordEnv'))
    .option('--password-env <var>', 'environment variable holding the store password')
    .option('--json', 'print JSON instead of text')
    .action((file: string, opts: { type?: string; passwordFile?: string; passwordEnv?: string; json?: boolean }) => {
      exitCode = keystoreList(file, opts, (line) => process.stdout.write(line + '\n'));
    });

  const io: Output = { out: (line) => process.stdout.write(line + '\n'), err: (line) => process.stderr.write(line + '\n') };
  withManagementOptions(program.command('status').description('ask a running gateway how it is: readiness, services, listeners, certificates, refusals'))
    .option('--json', 'print the API\'s JSON')
    .action(async (opts: Parameters<typeof status>[0]) => {
      exitCode = await status(opts, io);
    });
  const sessions = program.command('sessions').description('list or close the live connections of a running gateway');
  withSessionFilter(withManagementOptions(sessions.command('list').description('list live connections, oldest first')))
    .option('--limit <n>', 'how many to list (at most 1000)', '100')
    .option('--offset <n>', 'how many to skip', '0')
    .option('--json', 'print the API\'s JSON')
    .action(async (opts: Parameters<typeof sessionsList>[0]) => {
      exitCode = await sessionsList(opts, io);
    });
  withSessionFilter(withManagementOptions(sessions.command('close').description('close a connection by id, or every connection a filter matches (1008)')))
    .argument('[id]', 'the connection id (as listed, and on its log lines)')
    .option('--json', 'print the API\'s JSON')
    .action(async (id: string | undefined, opts: Parameters<typeof sessionsClose>[1]) => {
      exitCode = await sessionsClose(id, opts, io);
    });

  program
    .command('dev-pki')
    .description('make a development CA, a localhost server certificate and a client certificate (PEM files)')
    // Not relative to the working directory: this is the folder the default configuration reads.
    .option('--dir <dir>', 'where to write them; by default the folder start reads', DEV_PKI_DIR)
    .option('--host <name...>', 'server host names or IP addresses', ['localhost'])
    .addOption(new Option('--key-type <type>', 'the keys\' type: RSA (2048 bits) or EC (P-256)').choices(['rsa', 'ec']).default('rsa'))
    .action((opts: { dir: string; host: string[]; keyType: KeyType }, command: Command) => {
      const asked = command.getOptionValueSource('keyType') === 'cli';
      exitCode = devPki(opts.dir, opts.host, opts.keyType, asked, (line) => process.stdout.write(line + '\n'));
    });

  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      // `commander.help` is help shown because no command was given: a usage error, unlike --help.
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return EXIT.OK;
      if (e.code === 'commander.help') process.stderr.write(usageLine('a command is needed') + '\n');
      return EXIT.USAGE;
    }
    if (isGatewayError(e)) {
      process.stderr.write(e.format() + '\n');
      return e.code === 'GW_ERR_USAGE' ? EXIT.USAGE : EXIT.INVALID;
    }
    process.stderr.write(`error GW_ERR_INTERNAL: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return EXIT.RUNTIME;
  }
}
