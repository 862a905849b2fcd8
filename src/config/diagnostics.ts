/**
 * The collector every stage of the config pipeline reports into. Stages never stop at the first problem: they
 * record it here and carry on with what they can still check, so that one `gateway check` lists everything.
 */
import { GatewayError, type GatewayErrorCode } from '../errors.js';
import type { Diagnostic, SourcePosition } from './types.js';

export class Diagnostics {
  private readonly list: Diagnostic[] = [];

  error(code: GatewayErrorCode, message: string, position: SourcePosition | undefined, hint?: string): void {
    this.list.push({ severity: 'error', code, message, position, hint });
  }

  warning(message: string, position: SourcePosition | undefined, hint?: string): void {
    this.list.push({ severity: 'warning', code: 'GW_ERR_CONFIG_WARNING', message, position, hint });
  }

  /**
   * Records a GatewayError thrown by a grammar, placing it at `position` (grammars do not know where they are).
   * A value whose `${}` reference failed still holds the raw reference: its grammar error would only repeat the
   * property error already recorded at that element, so it is dropped.
   */
  fromError(e: GatewayError, position: SourcePosition): void {
    const unresolved = this.list.some(
      (d) => d.code === 'GW_ERR_CONFIG_PROPERTY' && d.position?.line === position.line && d.position?.column === position.column && d.position?.file === position.file,
    );
    if (!unresolved) this.error(e.code, e.message, position, e.hint);
  }

  get errorCount(): number {
    return this.list.filter((d) => d.severity === 'error').length;
  }

  get hasErrors(): boolean {
    return this.list.some((d) => d.severity === 'error');
  }

  /** In file order (a reader fixes a file top to bottom); problems without a line come first. */
  get all(): readonly Diagnostic[] {
    const key = (d: Diagnostic): [number, number] => [d.position?.line ?? 0, d.position?.column ?? 0];
    return [...this.list].sort((a, b) => {
      const [la, ca] = key(a);
      const [lb, cb] = key(b);
      return la - lb || ca - cb;
    });
  }

  get warnings(): readonly Diagnostic[] {
    return this.all.filter((d) => d.severity === 'warning');
  }
}

/** Runs a grammar; on a GatewayError records it at `position` and returns undefined. Other errors propagate. */
export function attempt<T>(diags: Diagnostics, position: SourcePosition, fn: () => T): T | undefined {
  try {
    return fn();
  } catch (e) {
    if (e instanceof GatewayError) {
      diags.fromError(e, position);
      return undefined;
    }
    throw e;
  }
}

export function describePosition(p: SourcePosition): string {
  return p.line === undefined ? p.file : `line ${p.line}${p.column === undefined ? '' : `:${p.column}`}`;
}
