// Optional private endpoints (enableVnet): storage blob/queue/table, Key Vault and, on the Premium tier only, the
// Service Bus namespace (Standard namespaces have no private endpoints), each with its privatelink DNS zone linked to
// the VNet.
param location string
param tags object = {}
param vnetId string
param subnetId string
param storageAccountId string
param keyVaultId string
@description('Service Bus namespace id; empty on the Standard tier.')
param serviceBusNamespaceId string = ''

var endpoints = concat([
  { name: 'blob', target: storageAccountId, group: 'blob', zone: 'privatelink.blob.${environment().suffixes.storage}' }
  { name: 'queue', target: storageAccountId, group: 'queue', zone: 'privatelink.queue.${environment().suffixes.storage}' }
  { name: 'table', target: storageAccountId, group: 'table', zone: 'privatelink.table.${environment().suffixes.storage}' }
  { name: 'vault', target: keyVaultId, group: 'vault', zone: 'privatelink.vaultcore.azure.net' }
], empty(serviceBusNamespaceId) ? [] : [
  { name: 'servicebus', target: serviceBusNamespaceId, group: 'namespace', zone: 'privatelink.servicebus.windows.net' }
])

resource zones 'Microsoft.Network/privateDnsZones@2024-06-01' = [for e in endpoints: {
  name: e.zone
  location: 'global'
  tags: tags
}]

resource links 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2024-06-01' = [for (e, i) in endpoints: {
  parent: zones[i]
  name: 'link-${e.name}'
  location: 'global'
  properties: {
    virtualNetwork: { id: vnetId }
    registrationEnabled: false
  }
}]

resource privateEndpoints 'Microsoft.Network/privateEndpoints@2024-05-01' = [for e in endpoints: {
  name: 'pe-${e.name}-${uniqueString(e.target)}'
  location: location
  tags: tags
  properties: {
    subnet: { id: subnetId }
    privateLinkServiceConnections: [
      { name: e.name, properties: { privateLinkServiceId: e.target, groupIds: [e.group] } }
    ]
  }
}]

resource zoneGroups 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups@2024-05-01' = [for (e, i) in endpoints: {
  parent: privateEndpoints[i]
  name: 'default'
  properties: {
    privateDnsZoneConfigs: [{ name: e.name, properties: { privateDnsZoneId: zones[i].id } }]
  }
}]
