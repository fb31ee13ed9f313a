/**
 * Makes a folder read-only for this process the way a run-from-package mount is in Azure: every fs call that would
 * create, change or remove something under it fails with EROFS. `chmod -R a-w` alone does not stop a process running
 * as root (CI containers often do), so parity mode uses both.
 *
 * Invariant: only paths inside the guarded folder are refused; reads are never affected. Child processes the app
 * spawns are not covered (they see the a-w modes only).
 */
import type * as FsModule from 'node:fs';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { resolve, sep } from 'node:path';

// The module object itself (an `import * as` namespace would be a copy with read-only getters).
const fs = createRequire(__filename)('node:fs') as typeof FsModule;

type AnyFn = (...args: unknown[]) => unknown;

function erofs(syscall: string, path: string): NodeJS.ErrnoException {
  const e: NodeJS.ErrnoException = new Error(`EROFS: read-only file system, ${syscall} '${path}'`);
  e.code = 'EROFS';
  e.errno = -30;
  e.syscall = syscall;
  e.path = path;
  return e;
}

function toPath(p: unknown): string | undefined {
  if (typeof p === 'string') return p;
  if (Buffer.isBuffer(p)) return p.toString('utf8');
  if (p instanceof URL && p.protocol === 'file:') return decodeURIComponent(p.pathname);
  return undefined;
}

function writesFlags(flags: unknown): boolean {
  if (flags === undefined || flags === null) return false;
  if (typeof flags === 'number')
    return (
      (flags &
        (fs.constants.O_WRONLY |
          fs.constants.O_RDWR |
          fs.constants.O_CREAT |
          fs.constants.O_TRUNC |
          fs.constants.O_APPEND)) !==
      0
    );
  return typeof flags === 'string' && /[wa+]/.test(flags);
}

let installed: string[] | undefined;

/** Refuse writes under `dir` for the rest of this process. Idempotent per folder. */
export function installReadOnlyGuard(dir: string): void {
  const root = resolve(dir);
  if (installed) {
    if (!installed.includes(root)) installed.push(root);
    return;
  }
  installed = [root];
  const guarded = (p: unknown): string | undefined => {
    const s = toPath(p);
    if (s === undefined) return undefined;
    const abs = resolve(s);
    return installed!.some((r) => abs === r || abs.startsWith(r + sep)) ? abs : undefined;
  };

  // [name, indexes of path arguments that are written, syscall name]
  const plain: Array<[string, number[], string]> = [
    ['writeFile', [0], 'open'],
    ['appendFile', [0], 'open'],
    ['mkdir', [0], 'mkdir'],
    ['mkdtemp', [0], 'mkdtemp'],
    ['rm', [0], 'rm'],
    ['rmdir', [0], 'rmdir'],
    ['unlink', [0], 'unlink'],
    ['rename', [0, 1], 'rename'],
    ['copyFile', [1], 'copyfile'],
    ['cp', [1], 'cp'],
    ['symlink', [1], 'symlink'],
    ['link', [1], 'link'],
    ['chmod', [0], 'chmod'],
    ['lchmod', [0], 'lchmod'],
    ['chown', [0], 'chown'],
    ['lchown', [0], 'lchown'],
    ['utimes', [0], 'utime'],
    ['lutimes', [0], 'lutime'],
    ['truncate', [0], 'open'],
  ];
  const check = (name: string, args: unknown[], idx: number[], syscall: string): NodeJS.ErrnoException | undefined => {
    for (const i of idx) {
      const hit = guarded(args[i]);
      if (hit) return erofs(syscall, hit);
    }
    if (name === 'open' && writesFlags(args[1])) {
      const hit = guarded(args[0]);
      if (hit) return erofs('open', hit);
    }
    return undefined;
  };
  const mod = fs as unknown as Record<string, AnyFn>;
  const promises = fs.promises as unknown as Record<string, AnyFn>;
  for (const [name, idx, syscall] of [...plain, ['open', [], 'open'] as [string, number[], string]]) {
    const cb = mod[name];
    if (typeof cb === 'function') {
      mod[name] = function (this: unknown, ...args: unknown[]) {
        const err = check(name, args, idx, syscall);
        if (err) {
          const callback = args[args.length - 1];
          if (typeof callback === 'function') {
            process.nextTick(() => (callback as (e: Error) => void)(err));
            return undefined;
          }
          throw err;
        }
        return cb.apply(this, args);
      };
    }
    const sync = mod[`${name}Sync`];
    if (typeof sync === 'function') {
      mod[`${name}Sync`] = function (this: unknown, ...args: unknown[]) {
        const err = check(name, args, idx, syscall);
        if (err) throw err;
        return sync.apply(this, args);
      };
    }
    const p = promises[name];
    if (typeof p === 'function') {
      promises[name] = function (this: unknown, ...args: unknown[]) {
        const err = check(name, args, idx, syscall);
        if (err) return Promise.reject(err);
        return p.apply(this, args);
      };
    }
  }
  const cws = fs.createWriteStream;
  mod['createWriteStream'] = function (this: unknown, ...args: unknown[]) {
    const hit = guarded(args[0]);
    if (hit) throw erofs('open', hit);
    return (cws as unknown as AnyFn).apply(this, args);
  };
  syncBuiltinESMExports();
}
