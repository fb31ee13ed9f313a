import { z } from 'zod';

/**
 * Model Serving REST API 2.0 shapes (databricks-sdk-py service/serving.py: ServingEndpointDetailed,
 * EndpointCoreConfigInput/Output, ServedEntityInput/Output, TrafficConfig, Route, EndpointState).
 * Responses are parsed loosely: unknown fields are kept and ignored, so API additions never break us.
 */
export const CONFIG_UPDATE = ['NOT_UPDATING', 'IN_PROGRESS', 'UPDATE_FAILED', 'UPDATE_CANCELED'] as const;
export type ConfigUpdateState = (typeof CONFIG_UPDATE)[number];

export const ServedEntity = z.looseObject({
  name: z.string().optional(),
  entity_name: z.string().optional(),
  entity_version: z.string().optional(),
  workload_size: z.string().optional(),
  scale_to_zero_enabled: z.boolean().optional(),
  environment_vars: z.record(z.string(), z.string()).optional(),
});
export type ServedEntity = z.output<typeof ServedEntity>;

export const Route = z.looseObject({
  served_model_name: z.string().optional(),
  served_entity_name: z.string().optional(),
  traffic_percentage: z.number(),
});
export type Route = z.output<typeof Route>;

export const EndpointConfig = z.looseObject({
  config_version: z.number().optional(),
  served_entities: z.array(ServedEntity).optional(),
  traffic_config: z.looseObject({ routes: z.array(Route).optional() }).optional(),
  auto_capture_config: z.looseObject({}).optional(),
});
export type EndpointConfig = z.output<typeof EndpointConfig>;

export const ServingEndpoint = z.looseObject({
  name: z.string(),
  id: z.string().optional(),
  state: z.looseObject({ ready: z.string().optional(), config_update: z.string().optional() }).optional(),
  config: EndpointConfig.optional(),
  pending_config: EndpointConfig.optional(),
});
export type ServingEndpoint = z.output<typeof ServingEndpoint>;

/** What we send: EndpointCoreConfigInput without `name` (PUT .../config takes it from the path). */
export type ServedEntityInput = {
  name: string;
  entity_name: string;
  entity_version: string;
  workload_size: string;
  scale_to_zero_enabled: boolean;
  environment_vars?: Record<string, string>;
};
export type ConfigInput = {
  served_entities: ServedEntityInput[];
  traffic_config: { routes: Array<{ served_entity_name: string; traffic_percentage: number }> };
};
