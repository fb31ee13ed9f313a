import { describe, expect, it } from 'vitest';
import { validateAllSettings } from '../../shared/config/workflow-settings';
import { DEFAULT_LOCAL_SERVING_COMMAND, localServingOptions } from '../../shared/serving/local/settings';
import { sinkSchema } from '../../shared/sink';

describe('serving and sink settings', () => {
  it('local serving: default mlflow command, JSON argv, endpoint=port entries; bad values name the setting', () => {
    expect(localServingOptions({}).command).toEqual(DEFAULT_LOCAL_SERVING_COMMAND);
    expect(
      localServingOptions({
        STAGECRAFT_LOCAL_SERVING_COMMAND: '["/v/bin/mlflow","models","serve"]',
        STAGECRAFT_LOCAL_SERVING_PORTS: 'a=5001, b-2=5002',
      }),
    ).toMatchObject({ command: ['/v/bin/mlflow', 'models', 'serve'], ports: { a: 5001, 'b-2': 5002 } });
    expect(() => localServingOptions({ STAGECRAFT_LOCAL_SERVING_COMMAND: 'mlflow models serve' })).toThrow(
      /STAGECRAFT_LOCAL_SERVING_COMMAND/,
    );
    expect(() => localServingOptions({ STAGECRAFT_LOCAL_SERVING_PORTS: 'a=99999' })).toThrow(
      /STAGECRAFT_LOCAL_SERVING_PORTS/,
    );
    expect(() => localServingOptions({ STAGECRAFT_LOCAL_SERVING_HEALTH_TIMEOUT: 'soon' })).toThrow(
      /STAGECRAFT_LOCAL_SERVING_HEALTH_TIMEOUT: must be a number of seconds/,
    );
    expect(localServingOptions({ STAGECRAFT_LOCAL_SERVING_HEALTH_TIMEOUT: '2.5' }).healthTimeoutMs).toBe(2500);
  });
  it('the sink schema must be catalog.schema; unset disables the sink', () => {
    expect(sinkSchema({})).toBeUndefined();
    expect(sinkSchema({ STAGECRAFT_SINK_SCHEMA: 'main.ops' })).toBe('main.ops');
    expect(() => sinkSchema({ STAGECRAFT_SINK_SCHEMA: 'main.ops; DROP' })).toThrow(/STAGECRAFT_SINK_SCHEMA/);
  });
  it('start-up validation reports both by name', async () => {
    const problems = await validateAllSettings({ STAGECRAFT_SINK_SCHEMA: 'x', STAGECRAFT_LOCAL_SERVING_PORTS: 'nope' });
    expect(problems.some((p) => p.startsWith('STAGECRAFT_SINK_SCHEMA: must be catalog.schema'))).toBe(true);
    expect(
      problems.some((p) => p.startsWith('STAGECRAFT_LOCAL_SERVING_PORTS: entries must be <endpoint>=<port>')),
    ).toBe(true);
  });
});
