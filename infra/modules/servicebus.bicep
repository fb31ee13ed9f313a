// The Service Bus namespace and its entities, generated from infra/servicebus/Config.json (the emulator's file, the
// one source of truth) through infra/servicebus/azure-topology.json (scripts/servicebus-topology.ts; the drift test
// test/infra/servicebus.test.ts fails when the two differ). Entity properties pass through unchanged; the only values
// added here are Azure's duplicate-detection window (the emulator's PT5M cap is not copied) and nothing for the TTL
// (Azure's default, not the emulator's PT1H).
param name string
param location string
param tags object = {}
@allowed(['Standard', 'Premium'])
param sku string = 'Standard'
param duplicateDetectionWindow string = 'PT10M'
@allowed(['Enabled', 'Disabled'])
param publicNetworkAccess string = 'Enabled'

var topology = loadJsonContent('../servicebus/azure-topology.json')

resource namespace 'Microsoft.ServiceBus/namespaces@2024-01-01' = {
  name: name
  location: location
  tags: tags
  sku: { name: sku, tier: sku }
  properties: {
    disableLocalAuth: true
    minimumTlsVersion: '1.2'
    publicNetworkAccess: publicNetworkAccess
  }
}

resource queues 'Microsoft.ServiceBus/namespaces/queues@2024-01-01' = [for q in topology.queues: {
  parent: namespace
  name: q.name
  properties: union(q.properties, q.properties.requiresDuplicateDetection ? { duplicateDetectionHistoryTimeWindow: duplicateDetectionWindow } : {})
}]

resource topics 'Microsoft.ServiceBus/namespaces/topics@2024-01-01' = [for t in topology.topics: {
  parent: namespace
  name: t.name
  properties: union(t.properties, t.properties.requiresDuplicateDetection ? { duplicateDetectionHistoryTimeWindow: duplicateDetectionWindow } : {})
}]

resource subscriptions 'Microsoft.ServiceBus/namespaces/topics/subscriptions@2024-01-01' = [for s in topology.subscriptions: {
  name: '${namespace.name}/${s.topic}/${s.name}'
  properties: s.properties
  dependsOn: [topics]
}]

resource rules 'Microsoft.ServiceBus/namespaces/topics/subscriptions/rules@2024-01-01' = [for r in topology.rules: {
  name: '${namespace.name}/${r.topic}/${r.subscription}/${r.name}'
  properties: r.properties
  dependsOn: [subscriptions]
}]

output id string = namespace.id
output name string = namespace.name
output fullyQualifiedNamespace string = '${namespace.name}.servicebus.windows.net'
output topicName string = topology.topics[0].name
