/**
 * A durable-functions DurableClient bound the way the Functions host binds it (the `durableClient` input), talking
 * to any durable HTTP API: the local host's (`<host>/runtime/webhooks/durabletask/`) or a test stand-in.
 */
import { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';

/**
 * `key`: the host's master key, for the local host's locked Durable HTTP API; it travels as the host binds it, in the
 * userinfo of `rpcBaseUrl` (sent as Basic auth), while the public URLs stay key-free here.
 */
export function clientFor(rpcBaseUrl: string, key?: string): df.DurableClient {
  const binding = { type: 'durableClient', name: 'client', direction: 'in' as const };
  const ctx = new InvocationContext({
    options: { trigger: { type: 'httpTrigger', name: 'req' }, extraInputs: [binding], extraOutputs: [] },
  });
  const base = rpcBaseUrl.replace(/\/$/, '');
  ctx.extraInputs.set(binding, {
    taskHubName: 'StagecraftHub',
    creationUrls: {
      createNewInstancePostUri: `${base}/orchestrators/{functionName}[/{instanceId}]`,
      createAndWaitOnNewInstancePostUri: `${base}/orchestrators/{functionName}[/{instanceId}]`,
    },
    managementUrls: {
      id: 'INSTANCEID',
      statusQueryGetUri: `${base}/instances/INSTANCEID`,
      sendEventPostUri: `${base}/instances/INSTANCEID/raiseEvent/{eventName}`,
      terminatePostUri: `${base}/instances/INSTANCEID/terminate?reason={text}`,
      rewindPostUri: `${base}/instances/INSTANCEID/rewind?reason={text}`,
      purgeHistoryDeleteUri: `${base}/instances/INSTANCEID`,
      restartPostUri: `${base}/instances/INSTANCEID/restart`,
      suspendPostUri: `${base}/instances/INSTANCEID/suspend?reason={text}`,
      resumePostUri: `${base}/instances/INSTANCEID/resume?reason={text}`,
    },
    baseUrl: base,
    requiredQueryStringParameters: '',
    rpcBaseUrl: key ? withUserinfo(`${base}/`, key) : `${base}/`,
    httpBaseUrl: base,
    maxGrpcMessageSizeInBytes: 0,
    grpcHttpClientTimeout: '00:01:40',
  });
  return df.getClient(ctx);
}

function withUserinfo(url: string, key: string): string {
  const u = new URL(url);
  u.username = 'durabletask_extension';
  u.password = key;
  return u.toString();
}
