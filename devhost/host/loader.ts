/**
 * Loads an Azure Functions Node.js v4 app the way the worker does: every file matched by package.json `main`
 * (a path or a glob) is required (CommonJS) or imported (ESM) once, in sorted order.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import fg from 'fast-glob';
import type * as FunctionsLibModule from '@azure/functions';
import { HostError } from './types';

type FunctionsLib = typeof FunctionsLibModule;

// The app's files load through Node's CommonJS loader exactly as the worker requires them.
const loadCommonJs = createRequire(__filename);

export function resolveEntryFiles(appDir: string): string[] {
  const pkgPath = join(appDir, 'package.json');
  if (!existsSync(pkgPath))
    throw new HostError(
      'HOST_APP_INVALID',
      `No package.json in ${appDir}: an Azure Functions v4 app names its entry files in package.json "main"`,
    );
  let pkg: { main?: unknown };
  try {
    pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { main?: unknown };
  } catch (e) {
    throw new HostError('HOST_APP_INVALID', `${pkgPath} is not valid JSON: ${(e as Error).message}`);
  }
  const main = typeof pkg.main === 'string' && pkg.main.trim() ? pkg.main.trim() : 'index.js';
  const files = fg.isDynamicPattern(main)
    ? fg.sync(main, { cwd: appDir, absolute: true, onlyFiles: true, dot: false }).sort()
    : [isAbsolute(main) ? main : resolve(appDir, main)].filter((f) => existsSync(f));
  if (files.length === 0) {
    const hint = main.startsWith('dist') ? ' (did you run the build? `npm run build`)' : '';
    throw new HostError('HOST_APP_INVALID', `package.json "main" (${main}) matches no file in ${appDir}${hint}`);
  }
  return files;
}

/** Require/import every entry file; errors name the file. */
export async function loadEntryFiles(appDir: string, files: string[]): Promise<void> {
  for (const file of files) {
    try {
      if (file.endsWith('.mjs')) await import(pathToFileURL(file).href);
      else {
        try {
          loadCommonJs(file);
        } catch (e) {
          // An ESM file in a "type": "module" package cannot be required on Node 20.
          if ((e as NodeJS.ErrnoException).code === 'ERR_REQUIRE_ESM') await import(pathToFileURL(file).href);
          else throw e;
        }
      }
    } catch (e) {
      const err = e as Error;
      throw new HostError('HOST_APP_LOAD_FAILED', `Loading ${relative(appDir, file)} failed: ${err.message}`, {
        stack: err.stack,
      });
    }
  }
}

/** The app's own copy of `@azure/functions`, for building HttpRequest/InvocationContext the app recognises. */
export function loadAppFunctionsLibrary(appDir: string): FunctionsLib {
  let path: string;
  try {
    path = require.resolve('@azure/functions', { paths: [appDir] });
  } catch {
    throw new HostError(
      'HOST_APP_INVALID',
      `The app in ${appDir} cannot resolve "@azure/functions"; install it there (npm install @azure/functions)`,
    );
  }
  return loadCommonJs(path) as FunctionsLib;
}
