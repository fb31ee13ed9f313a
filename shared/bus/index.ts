export { getServiceBusClient, closeServiceBusClients } from './client';
export { ServiceBusEventPublisher, getEventPublisher, closeEventPublishers } from './publisher';
export { MemoryEventPublisher } from './memory';
