// Durable Task Scheduler (durableBackend = DurableTaskScheduler): the scheduler and the app's task hub. The app
// connects with DURABLE_TASK_SCHEDULER_CONNECTION_STRING (Authentication=ManagedIdentity;ClientID=<identity>) and
// needs Durable Task Data Contributor on the scheduler (modules/roles.bicep).
param name string
param location string
param tags object = {}
@allowed(['Consumption', 'Dedicated'])
param sku string = 'Consumption'
param taskHubName string
@description('Addresses allowed to reach the scheduler; an empty list denies all traffic.')
param ipAllowlist array = ['0.0.0.0/0']

resource scheduler 'Microsoft.DurableTask/schedulers@2025-11-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    sku: sku == 'Dedicated' ? { name: sku, capacity: 1 } : { name: sku }
    ipAllowlist: ipAllowlist
  }
}

resource hub 'Microsoft.DurableTask/schedulers/taskHubs@2025-11-01' = {
  parent: scheduler
  name: taskHubName
}

output name string = scheduler.name
output endpoint string = scheduler.properties.endpoint
output taskHubName string = hub.name
