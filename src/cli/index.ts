/**
 * `bin/gateway`: the only part of the gateway that prints. Parses the command line, makes the logger, runs the
 * command, and turns the outcome into an exit code (see exit-codes.ts).
 */
import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { GatewayError, isGatewayError } from '../errors.js';
import { check } from './check.js';
import { EXIT } from './exit-codes.js';
import { keystoreList } from './keystore-list.js';
import { createLogger, type LogFormat } from './logger.js';
import { GATEWAY_HOME } from './paths.js';
import { start } from './start.js';
import { devPki } from './dev-pki.js';
import { reportStarted, runPrimary } from './workers.js';

interface CommonOptions {
  config?: string;
  define: Record<string, string>;
  logFormat?: LogFormat;
  logLevel: string;
}

interface StartOptions extends CommonOptions {
  workers: number;
}

function parseWorkers(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new GatewayError('GW_ERR_USAGE', `--workers expects a whole number from 1 to 256, got "${value}"`);
  return n;
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

function withCommonOptions(cmd: Command): Command {
  return cmd
    .option('-c, --config <path>', 'gateway configuration file (default: conf/gateway-config.xml)')
    .option('-D, --define <name=value>', 'set a ${name} property; wins over <properties> (repeatable)', collectDefine, {})
    .addOption(new Option('--log-format <format>', 'log format (default: text on a terminal, json otherwise)').choices(['json', 'text']))
    .addOption(new Option('--log-level <level>', 'log level').choices(['debug', 'info', 'warn', 'error']).default('info'));
}

export async function main(argv: readonly string[]): Promise<number> {
  let exitCode: number = EXIT.OK;
  const program = new Command('gateway')
    .description('A WebSocket gateway that reads Kaazing gateway-config.xml files.')
    .version(version(), '-v, --version')
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(str) });

  withCommonOptions(program.command('start').description('run the gateway until SIGINT or SIGTERM'))
    .option('-w, --workers <n>', 'processes sharing the listening ports (a crashed one is replaced)', parseWorkers, 1)
    .action(async (opts: StartOptions) => {
      if (opts.workers > 1 && cluster.isPrimary) {
        exitCode = await runPrimary(opts.workers, opts.config, opts.define, createLogger(opts.logFormat, opts.logLevel, { role: 'primary' }));
        return;
      }
      const bindings = cluster.isWorker ? { worker: cluster.worker?.id } : undefined;
      exitCode = await start(opts.config, opts.define, createLogger(opts.logFormat, opts.logLevel, bindings), reportStarted);
    });

  withCommonOptions(
    program.command('check').description('check the configuration, its stores and certificates without binding anything'),
  ).action((opts: CommonOptions) => {
    // Findings go to stdout as the command's report; the logger only carries warnings from loading stores.
    const log = createLogger(opts.logFormat ?? 'text', 'warn');
    exitCode = check(opts.config, opts.define, log, (line) => process.stdout.write(line + '\n'));
  });

  const keystore = program.command('keystore').description('inspect key and trust stores');
  keystore
    .command('list')
    .description('list the entries of a JKS, JCEKS, PKCS12 or PEM store, like keytool -list -v')
    .argument('<file>', 'the store')
    .addOption(new Option('--type <type>', 'store type (default: from the extension, then the content)').choices(['JKS', 'JCEKS', 'PKCS12', 'PEM', 'jks', 'jceks', 'pkcs12', 'pem']))
    .addOption(new Option('--password-file <file>', 'file whose first line is the store password').conflicts('passwordEnv'))
    .option('--password-env <var>', 'environment variable holding the store password')
    .option('--json', 'print JSON instead of text')
    .action((file: string, opts: { type?: string; passwordFile?: string; passwordEnv?: string; json?: boolean }) => {
      exitCode = keystoreList(file, opts, (line) => process.stdout.write(line + '\n'));
    });

  program
    .command('dev-pki')
    .description('make a development CA, a localhost server certificate and a client certificate (PEM files)')
    .option('--dir <dir>', 'where to write them', 'conf/dev-pki')
    .option('--host <name...>', 'server host names', ['localhost'])
    .action((opts: { dir: string; host: string[] }) => {
      exitCode = devPki(opts.dir, opts.host, (line) => process.stdout.write(line + '\n'));
    });

  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return EXIT.OK;
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
