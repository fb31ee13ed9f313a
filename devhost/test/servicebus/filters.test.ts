/** SQL filter subset and correlation filters: pure evaluation, plus refusals at compile time. */
import { describe, expect, it } from 'vitest';
import { compileSqlAction, compileSqlFilter, SqlFilterError } from '../../servicebus/sql-filter';
import { compileCorrelationFilter } from '../../servicebus/correlation-filter';
import type { FilterMessage } from '../../servicebus/filter-message';
import { compileConfig, parseDuration, ServiceBusConfigError } from '../../servicebus/config';

const msg = (user: Record<string, unknown>, sys: Record<string, unknown> = {}): FilterMessage => ({ user, sys });
const m = msg(
  { color: 'red', size: 10, ratio: 0.5, ok: true, name: 'run_50%', empty: null },
  { label: 'run.completed', messageid: 'm-1', correlationid: 'c-1', to: 'x', contenttype: 'application/json' },
);
const sql = (text: string, message: FilterMessage = m): boolean => compileSqlFilter(text)(message);

describe('SQL filter evaluation', () => {
  it('compares strings, numbers and booleans with = <> != < <= > >=', () => {
    expect(sql("color = 'red'")).toBe(true);
    expect(sql("color <> 'red'")).toBe(false);
    expect(sql("color != 'blue'")).toBe(true);
    expect(sql('size > 5 AND size >= 10 AND size < 11 AND size <= 10')).toBe(true);
    expect(sql('ratio = 0.5 AND ok = TRUE')).toBe(true);
    expect(sql('size + 5 = 15 AND size * 2 - 1 = 19 AND size % 3 = 1 AND -size = -10')).toBe(true);
  });

  it('combines with AND, OR, NOT and parentheses, with SQL precedence', () => {
    expect(sql("color = 'blue' OR size = 10 AND ok = TRUE")).toBe(true);
    expect(sql("(color = 'blue' OR size = 10) AND NOT ok = FALSE")).toBe(true);
    expect(sql("NOT (color = 'red')")).toBe(false);
  });

  it('uses three-valued logic: a missing property is UNKNOWN, so neither it nor its negation matches', () => {
    expect(sql("missing = 'x'")).toBe(false);
    expect(sql("NOT missing = 'x'")).toBe(false);
    expect(sql("missing = 'x' OR color = 'red'")).toBe(true);
    expect(sql("size = '10'")).toBe(false);
  });

  it('supports IN / NOT IN, IS [NOT] NULL and EXISTS', () => {
    expect(sql("color IN ('blue', 'red')")).toBe(true);
    expect(sql("color NOT IN ('blue', 'red')")).toBe(false);
    expect(sql('size IN (1, 2, 3)')).toBe(false);
    expect(sql('missing IS NULL AND empty IS NULL AND color IS NOT NULL')).toBe(true);
    expect(sql('EXISTS(color) AND NOT EXISTS(missing)')).toBe(true);
  });

  it('supports LIKE with % and _ wildcards, NOT LIKE, and ESCAPE', () => {
    expect(sql("color LIKE 'r_d'")).toBe(true);
    expect(sql("sys.Label LIKE 'run.%'")).toBe(true);
    expect(sql("color NOT LIKE 'b%'")).toBe(true);
    expect(sql("name LIKE 'run!_50!%' ESCAPE '!'")).toBe(true);
    expect(sql("name LIKE 'run!_5!%' ESCAPE '!'")).toBe(false);
    expect(sql("color LIKE 'R%'")).toBe(false);
  });

  it('reads system properties through sys.* case-insensitively, and user.* or bare names for application properties', () => {
    expect(
      sql(
        "sys.MessageId = 'm-1' AND sys.correlationid = 'c-1' AND sys.To = 'x' AND sys.ContentType = 'application/json'",
      ),
    ).toBe(true);
    expect(sql("user.color = 'red' AND [color] = 'red'")).toBe(true);
    expect(sql("sys.Label = 'other'")).toBe(false);
  });

  it("handles string literals with doubled quotes: 'it''s'", () => {
    expect(sql("q = 'it''s'", msg({ q: "it's" }))).toBe(true);
  });

  it('supports the documented functions newid() and property(name)', () => {
    expect(
      sql("property('color') = 'red' AND property('user.size') = 10 AND property('sys.Label') = 'run.completed'"),
    ).toBe(true);
    expect(sql("property('col' + 'or') = 'red'")).toBe(true);
    expect(sql("property('missing') IS NULL AND property(size) IS NULL")).toBe(true);
    expect(sql('newid() IS NOT NULL AND newid() <> newid()')).toBe(true);
    expect(sql("newid() LIKE '________-____-____-____-____________'")).toBe(true);
  });

  it('refuses what it cannot evaluate instead of matching: unknown functions, unknown sys properties, bad syntax', () => {
    expect(() => compileSqlFilter('upper(color) = 1')).toThrow(/function upper\(\) is not supported/);
    expect(() => compileSqlFilter("sys.Nope = 'x'")).toThrow(/unknown system property sys.Nope/);
    expect(() => compileSqlFilter("color = 'red' AND")).toThrow(SqlFilterError);
    expect(() => compileSqlFilter("color = 'red")).toThrow(/unterminated string/);
    expect(() => compileSqlFilter('color BETWEEN 1 AND 2')).toThrow(SqlFilterError);
    expect(() => compileSqlFilter('')).toThrow(/empty/);
  });
});

describe('SQL rule actions', () => {
  const run = (text: string, message: FilterMessage): FilterMessage => {
    const out = { sys: { ...message.sys }, user: { ...message.user } };
    compileSqlAction(text)(out);
    return out;
  };

  it('SET adds or updates user properties (case-insensitively) with expressions, REMOVE deletes them, statements run in order', () => {
    const out = run(
      "SET priority = size * 2; SET Color = 'dark' + color, REMOVE ratio; SET copy = property('priority')",
      m,
    );
    expect(out.user).toMatchObject({ priority: 20, color: 'darkred', copy: 20 });
    expect('ratio' in out.user).toBe(false);
    expect('Color' in out.user).toBe(false);
  });

  it('SET and REMOVE system properties that may change; newid() gives a fresh id', () => {
    const out = run("SET sys.Label = 'relabelled'; SET sys.CorrelationId = newid(); REMOVE sys.To", m);
    expect(out.sys['label']).toBe('relabelled');
    expect(out.sys['subject']).toBe('relabelled');
    expect(String(out.sys['correlationid'])).toMatch(/^[0-9a-f-]{36}$/);
    expect(out.sys['to']).toBeUndefined();
  });

  it('refuses malformed actions', () => {
    expect(() => compileSqlAction('')).toThrow(/empty/);
    expect(() => compileSqlAction("UPDATE x = 'y'")).toThrow(/expected SET or REMOVE/);
    expect(() => compileSqlAction("SET 'x' = 1")).toThrow(/property name/);
    expect(() => compileSqlAction('SET x = 1 SET y = 2')).toThrow(SqlFilterError);
  });
});

describe('correlation filters', () => {
  it('match only when every set system property and application property is equal', () => {
    const f = compileCorrelationFilter({
      CorrelationId: 'c-1',
      Label: 'run.completed',
      Properties: { color: 'red', size: 10 },
    });
    expect(f(m)).toBe(true);
    expect(f(msg({ color: 'red', size: 10 }, { correlationid: 'c-2', label: 'run.completed' }))).toBe(false);
    expect(f(msg({ color: 'red' }, { correlationid: 'c-1', label: 'run.completed' }))).toBe(false);
    expect(compileCorrelationFilter({ MessageId: 'm-1', To: 'x', ContentType: 'application/json' })(m)).toBe(true);
  });
});

describe('Config.json', () => {
  const base = (subs: unknown[], queues: unknown[] = []): unknown => ({
    UserConfig: {
      Namespaces: [{ Name: 'sbemulatorns', Queues: queues, Topics: [{ Name: 't', Subscriptions: subs }] }],
    },
  });

  it('parses ISO-8601 durations', () => {
    expect(parseDuration('PT1M', 'x')).toBe(60_000);
    expect(parseDuration('PT0.5S', 'x')).toBe(500);
    expect(parseDuration('P1DT2H', 'x')).toBe(26 * 3600_000);
    expect(() => parseDuration('1 minute', 'Queues[q].LockDuration')).toThrow(/Queues\[q\].LockDuration/);
  });

  it('refuses a SQL rule it cannot evaluate at start, naming the subscription and rule', () => {
    expect(() =>
      compileConfig(
        base([
          {
            Name: 's',
            Rules: [{ Name: 'bad', Properties: { FilterType: 'Sql', SqlFilter: { SqlExpression: 'upper(x) = 1' } } }],
          },
        ]),
      ),
    ).toThrow(/Subscriptions\[s\]\.Rules\[bad\]: cannot evaluate SQL filter "upper\(x\) = 1"/);
  });

  it('compiles rule actions and refuses bad ones and ForwardTo with a clear message', () => {
    const cfg = compileConfig(
      base([
        {
          Name: 's',
          Rules: [
            {
              Name: 'a',
              Properties: {
                FilterType: 'Sql',
                SqlFilter: { SqlExpression: '1=1' },
                Action: { SqlExpression: "SET x = 'y'" },
              },
            },
          ],
        },
      ]),
    );
    expect(cfg.topics[0]?.subscriptions[0]?.rules[0]?.actionText).toBe("SET x = 'y'");
    expect(() =>
      compileConfig(
        base([
          {
            Name: 's',
            Rules: [
              {
                Name: 'a',
                Properties: {
                  FilterType: 'Sql',
                  SqlFilter: { SqlExpression: '1=1' },
                  Action: { SqlExpression: 'SET sys.SequenceNumber = 1' },
                },
              },
            ],
          },
        ]),
      ),
    ).toThrow(
      /Rules\[a\]: cannot apply SQL action "SET sys.SequenceNumber = 1": system property sys.sequencenumber cannot be changed/,
    );
    expect(() => compileConfig(base([], [{ Name: 'q', Properties: { ForwardTo: 'other' } }]))).toThrow(
      ServiceBusConfigError,
    );
  });

  it('applies defaults: maxDeliveryCount 10, lock 60 s, no TTL', () => {
    const cfg = compileConfig(base([{ Name: 's' }], [{ Name: 'q' }]));
    expect(cfg.queues[0]?.settings).toEqual({
      lockDurationMs: 60_000,
      maxDeliveryCount: 10,
      defaultTtlMs: null,
      deadLetterOnExpiration: false,
      requiresSession: false,
    });
    expect(
      compileConfig(base([], [{ Name: 'q', Properties: { RequiresSession: true } }])).queues[0]?.settings
        .requiresSession,
    ).toBe(true);
    expect(cfg.topics[0]?.subscriptions[0]?.rules).toEqual([]);
  });
});
