/**
 * Just enough of Java Object Serialization (the stream protocol of java.io.ObjectOutputStream, JDK spec chapter 6)
 * to step over one serialized object: a JCEKS secret-key entry is a SealedObjectForKeyProtector written with no
 * length prefix, so the only way to find the next entry is to walk the object's grammar. Values are skipped, not
 * built; class names are collected so the entry can be described. Nothing is ever instantiated.
 */
import { corrupt, storeError } from './fail.js';
import type { ByteReader } from './reader.js';

const STREAM_MAGIC = 0xaced;
const TC_NULL = 0x70;
const TC_REFERENCE = 0x71;
const TC_CLASSDESC = 0x72;
const TC_OBJECT = 0x73;
const TC_STRING = 0x74;
const TC_ARRAY = 0x75;
const TC_CLASS = 0x76;
const TC_BLOCKDATA = 0x77;
const TC_ENDBLOCKDATA = 0x78;
const TC_RESET = 0x79;
const TC_BLOCKDATALONG = 0x7a;
const TC_LONGSTRING = 0x7c;
const TC_PROXYCLASSDESC = 0x7d;
const TC_ENUM = 0x7e;

const SC_WRITE_METHOD = 0x01;
const SC_SERIALIZABLE = 0x02;
const SC_EXTERNALIZABLE = 0x04;
const SC_BLOCK_DATA = 0x08;

/** Nesting deeper than this is not a sealed key; refusing it keeps a crafted file from exhausting the stack. */
const MAX_DEPTH = 64;
/** A sealed key's classes are three deep; a deeper hierarchy would multiply the work done for every object. */
const MAX_HIERARCHY = 64;
/** A sealed key makes about a dozen handles; far more is a file made to be slow to walk. */
const MAX_HANDLES = 10_000;

interface ClassDesc {
  readonly name: string;
  readonly flags: number;
  readonly fields: readonly { readonly type: string; readonly name: string }[];
  /** This class and its superclasses, topmost first: the order of an object's class data. */
  readonly hierarchy: readonly ClassDesc[];
}

type Handle = ClassDesc | 'other';

const PRIMITIVE_SIZE: Record<string, number> = { B: 1, C: 2, D: 8, F: 4, I: 4, J: 8, S: 2, Z: 1 };

export interface SkippedObject {
  /** Class of the top-level object, e.g. `com.sun.crypto.provider.SealedObjectForKeyProtector`. */
  readonly className: string | undefined;
}

/** Reads one serialized object from `r` (header included) and leaves `r` just past it. */
export function skipSerializedObject(r: ByteReader, alias: string): SkippedObject {
  const field = `secret-key entry "${alias}"`;
  if (r.u16(field) !== STREAM_MAGIC) throw corrupt(r.fileName, `${field} is not a Java serialized object`);
  const version = r.u16(field);
  if (version !== 5) {
    throw storeError('GW_ERR_STORE_UNSUPPORTED', r.fileName, `${field} uses Java serialization version ${version}, not 5`);
  }
  const handles: Handle[] = [];
  let handlesMade = 0;
  let topClass: string | undefined;

  const fail = (detail: string) => corrupt(r.fileName, `${field}: ${detail}`);

  /** Assigns the next handle; the count survives TC_RESET, which only empties the table. */
  function newHandle(): number {
    if (++handlesMade > MAX_HANDLES) throw fail(`more than ${MAX_HANDLES} serialized objects`);
    return handles.push('other') - 1;
  }

  function makeDesc(name: string, flags: number, fields: ClassDesc['fields'], superDesc: ClassDesc | undefined): ClassDesc {
    const above = superDesc?.hierarchy ?? [];
    if (above.length >= MAX_HIERARCHY) throw fail(`class ${name} has more than ${MAX_HIERARCHY} superclasses`);
    const desc: { name: string; flags: number; fields: ClassDesc['fields']; hierarchy: ClassDesc[] } = { name, flags, fields, hierarchy: [] };
    desc.hierarchy = [...above, desc];
    return desc;
  }

  function readContent(depth: number): ClassDesc | undefined {
    if (depth > MAX_DEPTH) throw fail('objects nest too deeply');
    const tc = r.u8(field);
    switch (tc) {
      case TC_NULL:
        return undefined;
      case TC_REFERENCE: {
        const h = r.u32(field) - 0x7e0000;
        const target = handles[h];
        if (target === undefined) throw fail(`reference to unknown handle ${h}`);
        return target === 'other' ? undefined : target;
      }
      case TC_CLASSDESC:
      case TC_PROXYCLASSDESC:
        return readClassDescBody(tc, depth);
      case TC_OBJECT: {
        const desc = readContent(depth + 1);
        newHandle();
        if (depth === 0) topClass = desc?.name;
        readClassData(desc, depth);
        return undefined;
      }
      case TC_STRING:
        newHandle();
        r.skip(r.u16(field), field);
        return undefined;
      case TC_LONGSTRING: {
        newHandle();
        const hi = r.u32(field);
        if (hi !== 0) throw fail('a string longer than 4 GiB');
        r.skip(r.u32(field), field);
        return undefined;
      }
      case TC_ARRAY: {
        const desc = readContent(depth + 1);
        newHandle();
        const n = r.i32(field);
        if (n < 0) throw fail(`negative array length ${n}`);
        const elem = desc?.name.charAt(1) ?? '';
        const size = PRIMITIVE_SIZE[elem];
        if (size !== undefined) r.skip(n * size, field);
        else for (let i = 0; i < n; i++) readContent(depth + 1);
        return undefined;
      }
      case TC_CLASS:
        readContent(depth + 1);
        newHandle();
        return undefined;
      case TC_ENUM:
        readContent(depth + 1);
        newHandle();
        readContent(depth + 1);
        return undefined;
      case TC_BLOCKDATA:
        r.skip(r.u8(field), field);
        return undefined;
      case TC_BLOCKDATALONG:
        r.skip(r.i32(field) >>> 0, field);
        return undefined;
      case TC_RESET:
        handles.length = 0;
        return undefined;
      default:
        throw fail(`unexpected serialization tag 0x${tc.toString(16)} at offset ${r.offset - 1}`);
    }
  }

  function readClassDescBody(tc: number, depth: number): ClassDesc {
    if (tc === TC_PROXYCLASSDESC) {
      const index = newHandle();
      const n = r.i32(field);
      if (n < 0 || n > 65535) throw fail(`proxy interface count ${n}`);
      for (let i = 0; i < n; i++) r.skip(r.u16(field), field);
      skipAnnotation(depth);
      const desc = makeDesc('(proxy)', SC_SERIALIZABLE, [], readContent(depth + 1));
      handles[index] = desc;
      return desc;
    }
    const name = r.utf(field);
    r.skip(8, field); // serialVersionUID
    const index = newHandle();
    const flags = r.u8(field);
    const count = r.u16(field);
    const fields: { type: string; name: string }[] = [];
    for (let i = 0; i < count; i++) {
      const type = String.fromCharCode(r.u8(field));
      const fname = r.utf(field);
      if (type === '[' || type === 'L') readContent(depth + 1); // the field's class name, as a string object
      else if (PRIMITIVE_SIZE[type] === undefined) throw fail(`unknown field type code "${type}"`);
      fields.push({ type, name: fname });
    }
    skipAnnotation(depth);
    const desc = makeDesc(name, flags, fields, readContent(depth + 1));
    handles[index] = desc;
    return desc;
  }

  function skipAnnotation(depth: number): void {
    for (;;) {
      if (r.remaining > 0 && r.bytes[r.offset] === TC_ENDBLOCKDATA) {
        r.offset++;
        return;
      }
      readContent(depth + 1);
    }
  }

  function readClassData(desc: ClassDesc | undefined, depth: number): void {
    for (const d of desc?.hierarchy ?? []) {
      if (d.flags & SC_EXTERNALIZABLE) {
        if (!(d.flags & SC_BLOCK_DATA)) throw fail(`class ${d.name} uses the pre-1.2 externalizable format`);
        skipAnnotation(depth);
        continue;
      }
      for (const f of d.fields) {
        const size = PRIMITIVE_SIZE[f.type];
        if (size !== undefined) r.skip(size, field);
        else readContent(depth + 1);
      }
      if (d.flags & SC_WRITE_METHOD) skipAnnotation(depth);
    }
  }

  readContent(0);
  return { className: topClass };
}
