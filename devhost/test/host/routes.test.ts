import { describe, expect, it } from 'vitest';
import { compareSpecificity, compileRoute, matchRoute } from '../../http/routes';

describe('route templates', () => {
  it('joins the route prefix and matches literal segments case-insensitively', () => {
    const r = compileRoute('api', 'Health/Check');
    expect(r.template).toBe('api/Health/Check');
    expect(matchRoute(r, '/api/health/check')).toEqual({});
    expect(matchRoute(r, '/api/health/check/')).toEqual({});
    expect(matchRoute(r, '/api/health')).toBeUndefined();
  });

  it('works with an empty route prefix', () => {
    expect(matchRoute(compileRoute('', 'ping'), '/ping')).toEqual({});
  });

  it('extracts URL-decoded parameters', () => {
    const r = compileRoute('api', 'products/{category}/{id}');
    expect(matchRoute(r, '/api/products/big%20boats/7')).toEqual({ category: 'big boats', id: '7' });
  });

  it('treats a trailing optional parameter as optional', () => {
    const r = compileRoute('api', 'echo/{name?}');
    expect(matchRoute(r, '/api/echo')).toEqual({});
    expect(matchRoute(r, '/api/echo/bob')).toEqual({ name: 'bob' });
  });

  it('applies constraints (int, alpha, guid, length, range, regex) and fails the match when they do not hold', () => {
    const r = compileRoute('api', 'items/{id:int}/{tag:alpha:maxlength(4)}');
    expect(matchRoute(r, '/api/items/12/abc')).toEqual({ id: '12', tag: 'abc' });
    expect(matchRoute(r, '/api/items/x/abc')).toBeUndefined();
    expect(matchRoute(r, '/api/items/12/abcde')).toBeUndefined();
    expect(matchRoute(compileRoute('api', 'g/{id:guid}'), '/api/g/5f0c8e2a-1b2c-4d5e-8f90-123456789abc')).toBeDefined();
    expect(matchRoute(compileRoute('api', 'n/{n:range(1,10)}'), '/api/n/11')).toBeUndefined();
    expect(matchRoute(compileRoute('api', 'v/{v:regex(^v\\d+$)}'), '/api/v/v2')).toEqual({ v: 'v2' });
  });

  it('captures the rest of the path with a catch-all parameter', () => {
    const r = compileRoute('api', 'files/{*path}');
    expect(matchRoute(r, '/api/files/a/b/c.txt')).toEqual({ path: 'a/b/c.txt' });
    expect(matchRoute(r, '/api/files')).toEqual({});
  });

  it('matches a segment mixing literal text and a parameter', () => {
    expect(matchRoute(compileRoute('api', 'report.{ext}'), '/api/report.json')).toEqual({ ext: 'json' });
  });

  it('orders more specific routes first (literal > constrained > free > catch-all)', () => {
    const routes = [
      compileRoute('api', '{*rest}'),
      compileRoute('api', 'items/{id}'),
      compileRoute('api', 'items/{id:int}'),
      compileRoute('api', 'items/new'),
    ];
    expect(routes.sort(compareSpecificity).map((r) => r.template)).toEqual([
      'api/items/new',
      'api/items/{id:int}',
      'api/items/{id}',
      'api/{*rest}',
    ]);
  });

  it.each([
    ['items/{id:nosuch}', /unknown constraint "nosuch"/],
    ['files/{*path}/more', /catch-all parameter must be the last segment/],
    ['items/{1bad}', /invalid parameter/],
    ['a/x{y?}', /optional or catch-all parameters must be a whole segment/],
  ])('rejects %s naming the problem', (route, message) => {
    expect(() => compileRoute('api', route)).toThrow(message);
  });
});
