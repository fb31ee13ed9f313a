/**
 * Reports and overflow payloads in Blob Storage, addressed by path inside one container.
 * Writes are idempotent: the same path and content can be written any number of times (last write wins).
 * The container is created lazily, once per process.
 */
import type { BlobServiceClient, ContainerClient } from '@azure/storage-blob';
import { ValidationError } from '../errors';

const CONTENT_TYPES = {
  json: 'application/json; charset=utf-8',
  html: 'text/html; charset=utf-8',
  xml: 'application/xml; charset=utf-8',
  text: 'text/plain; charset=utf-8',
} as const;
export type BlobKind = keyof typeof CONTENT_TYPES;

export function validateBlobPath(path: string): string {
  const ok =
    path.length > 0 &&
    path.length <= 1024 &&
    !path.startsWith('/') &&
    !path.endsWith('/') &&
    path.split('/').every((s) => s !== '' && s !== '.' && s !== '..');
  if (!ok || /[\u0000-\u001f\\]/.test(path)) {
    throw new ValidationError(
      'BLOB_PATH_INVALID',
      `blob path "${path.slice(0, 80)}" must be 1-1024 chars of non-empty segments separated by "/", without "." or ".." segments`,
    );
  }
  return path;
}

export class BlobStore {
  private readonly container: ContainerClient;
  private ready: Promise<void> | undefined;

  constructor(
    service: BlobServiceClient,
    readonly containerName: string,
  ) {
    this.container = service.getContainerClient(containerName);
  }

  private ensure(): Promise<void> {
    this.ready ??= this.container.createIfNotExists().then(
      () => undefined,
      (e: unknown) => {
        this.ready = undefined;
        throw e;
      },
    );
    return this.ready;
  }

  async put(path: string, content: string | Buffer, kind: BlobKind): Promise<{ path: string; url: string }> {
    validateBlobPath(path);
    await this.ensure();
    const data = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
    const blob = this.container.getBlockBlobClient(path);
    await blob.uploadData(data, { blobHTTPHeaders: { blobContentType: CONTENT_TYPES[kind] } });
    return { path, url: blob.url };
  }

  putJson(path: string, value: unknown): Promise<{ path: string; url: string }> {
    return this.put(path, JSON.stringify(value, null, 2), 'json');
  }

  putHtml(path: string, html: string): Promise<{ path: string; url: string }> {
    return this.put(path, html, 'html');
  }

  putXml(path: string, xml: string): Promise<{ path: string; url: string }> {
    return this.put(path, xml, 'xml');
  }

  /** Content as UTF-8 text, or undefined when the blob does not exist. */
  async getText(path: string): Promise<string | undefined> {
    validateBlobPath(path);
    await this.ensure();
    try {
      const buf = await this.container.getBlockBlobClient(path).downloadToBuffer();
      return buf.toString('utf8');
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode === 404) return undefined;
      throw e;
    }
  }

  async getJson<T = unknown>(path: string): Promise<T | undefined> {
    const text = await this.getText(path);
    return text === undefined ? undefined : (JSON.parse(text) as T);
  }

  async delete(path: string): Promise<void> {
    validateBlobPath(path);
    await this.ensure();
    await this.container.getBlockBlobClient(path).deleteIfExists();
  }
}
