/**
 * Request bodies under the host's size limit, as the Functions host (Kestrel) applies it to every route:
 * `FUNCTIONS_REQUEST_BODY_SIZE_LIMIT` bytes, 100 MB (104857600) by default.
 *
 * Invariants:
 * - A declared Content-Length above the limit is answered 413 before one body byte is read.
 * - A body without Content-Length (chunked) or one that runs past its declared length is read only up to the
 *   limit: the 413 goes out as soon as the limit is passed; the rest is never buffered (the connection closes
 *   after the answer, so a sender that stalls or keeps sending costs nothing).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';

export const DEFAULT_BODY_LIMIT = 104_857_600;

/** The limit from `FUNCTIONS_REQUEST_BODY_SIZE_LIMIT` (bytes); a missing or invalid value gives the default. */
export function bodyLimitFrom(env: NodeJS.ProcessEnv): { limit: number; problem?: string } {
  const raw = env['FUNCTIONS_REQUEST_BODY_SIZE_LIMIT'];
  if (raw === undefined || raw.trim() === '') return { limit: DEFAULT_BODY_LIMIT };
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n < 1) {
    return {
      limit: DEFAULT_BODY_LIMIT,
      problem: `FUNCTIONS_REQUEST_BODY_SIZE_LIMIT must be a positive number of bytes (found ${JSON.stringify(raw)}); using ${DEFAULT_BODY_LIMIT}`,
    };
  }
  return { limit: n };
}

/** The Content-Length the client announced, if it is a valid number. */
export function declaredLength(req: IncomingMessage): number | undefined {
  const raw = req.headers['content-length'];
  if (raw === undefined || !/^\d+$/.test(raw)) return undefined;
  const n = Number(raw);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** How long a closing connection keeps discarding what the client still sends (see lingeringClose). */
const LINGER_MS = 2_000;

/**
 * Marks the answer as the last on its connection (`Connection: close`) and closes gracefully: after the answer
 * the socket is half-closed and what the client still sends is read and dropped (never buffered) for a moment
 * before the socket is destroyed. Destroying a socket with unread data makes TCP send a reset, and a client still
 * uploading would then lose the answer. Call before the answer's head is written.
 */
export function lingeringClose(req: IncomingMessage, res: ServerResponse): void {
  res.shouldKeepAlive = false;
  const socket = req.socket;
  // Node ends a last response with socket.destroySoon(), which destroys the socket once written.
  socket.destroySoon = () => {
    socket.end();
  };
  res.once('finish', () => {
    req.resume();
    socket.resume();
    setTimeout(() => socket.destroy(), LINGER_MS).unref();
  });
}

/** 413 with an empty body, as the Functions host answers, on a connection that closes after it. */
export function answerTooLarge(
  req: IncomingMessage,
  res: ServerResponse,
  extraHeaders: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  lingeringClose(req, res);
  res.writeHead(413, { ...extraHeaders, 'content-length': '0' });
  res.end();
}

/**
 * Reads the whole body, or resolves `undefined` as soon as it passes `limit` (the caller answers 413). With a
 * Content-Length the body is copied once into a buffer of that size (no chunk list plus concatenation).
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const declared = declaredLength(req);
    const whole = declared !== undefined && declared <= limit ? Buffer.allocUnsafe(declared) : undefined;
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer): void => {
      if (size + c.length > limit) {
        cleanup();
        resolve(undefined);
        return;
      }
      if (whole !== undefined && size + c.length <= whole.length) c.copy(whole, size);
      else chunks.push(c);
      size += c.length;
    };
    const onEnd = (): void => {
      cleanup();
      // Node's parser delivers exactly Content-Length bytes, so `whole` is full when it was used.
      resolve(
        whole !== undefined && chunks.length === 0
          ? whole.subarray(0, size)
          : Buffer.concat(
              whole !== undefined ? [whole.subarray(0, Math.min(size, whole.length)), ...chunks] : chunks,
              size,
            ),
      );
    };
    const onError = (e: Error): void => {
      cleanup();
      reject(e);
    };
    const cleanup = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

/**
 * The body as a stream that ends with an error once it passes `limit` (then `onTooLarge` runs, once). Consumers
 * that stop reading (cancel) leave the socket alone: the host closes the connection after its answer.
 */
export function limitedBodyStream(req: IncomingMessage, limit: number, onTooLarge: () => void): Readable {
  let size = 0;
  let done = false;
  const out = new Readable({
    read() {
      req.resume();
    },
    destroy(err, cb) {
      // A consumer that cancels must not destroy the socket the answer still has to go out on.
      req.pause();
      cleanup();
      cb(err);
    },
  });
  const onData = (c: Buffer): void => {
    if (done) return;
    size += c.length;
    if (size > limit) {
      done = true;
      cleanup();
      req.pause();
      onTooLarge();
      out.destroy(new Error(`request body exceeds ${limit} bytes`));
      return;
    }
    if (!out.push(c)) req.pause();
  };
  const onEnd = (): void => {
    if (done) return;
    done = true;
    cleanup();
    out.push(null);
  };
  const onError = (e: Error): void => {
    if (done) return;
    done = true;
    cleanup();
    out.destroy(e);
  };
  const cleanup = (): void => {
    req.off('data', onData);
    req.off('end', onEnd);
    req.off('error', onError);
  };
  req.on('data', onData);
  req.on('end', onEnd);
  req.on('error', onError);
  req.pause();
  return out;
}
