// Every Stagecraft resource in one resource group. Deployable on its own:
//   az deployment group create -g <rg> -f infra/resources.bicep -p environmentName=<name> policyPath=policy/stagecraft.policy.yaml
// Identity-based connections only (shared-key access off on storage, local auth off on Service Bus), one user-assigned
// managed identity with exactly the data-plane roles those connections need (modules/roles.bicep), secrets in Key
// Vault referenced from app settings. Settings the app requires in Azure (shared/config/azure.ts REQUIRED_IN_AZURE)
// are set here or are named parameters; test/infra/*.test.ts checks that offline.

@minLength(1)
@maxLength(64)
param environmentName string
param location string = resourceGroup().location
param tags object = {}

@minLength(1)
@description('STAGECRAFT_POLICY_PATH (required in Azure): the policy file packaged with the app, relative to the app root.')
param policyPath string

@description('DATABRICKS_HOST: Azure Databricks workspace URL (required for runner: databricks jobs).')
param databricksHost string = ''

@description('MLFLOW_TRACKING_URI: MLflow tracking server (required for the registry reconciler).')
param mlflowTrackingUri string = ''

@description('RECONCILER_MODELS: registered models the reconciler polls, comma-separated.')
param reconcilerModels string = ''

@allowed(['AzureStorage', 'DurableTaskScheduler'])
param durableBackend string = 'AzureStorage'

@allowed(['Consumption', 'Dedicated'])
@description('Durable Task Scheduler SKU (only with durableBackend DurableTaskScheduler).')
param durableTaskSchedulerSku string = 'Consumption'

@allowed([512, 2048, 4096])
param instanceMemoryMB int = 2048

@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Durable task hub name (Azure Storage: queue/table prefix; Durable Task Scheduler: the task hub).')
param taskHubName string = 'StagecraftHub'

@allowed(['Standard', 'Premium'])
@description('Service Bus tier. Private endpoints need Premium; Standard is enough without enableVnet.')
param serviceBusSku string = 'Standard'

@description('Duplicate detection window in Azure (the emulator caps it at PT5M; webhook retries arrive later).')
param duplicateDetectionWindow string = 'PT10M'

param authClientId string = ''
param groupMap string = ''
param extraAppSettings object = {}

@secure()
param secretValues object = {}
param keyVaultManagedSecrets array = []

param enableVnet bool = false
param vnetAddressPrefix string = '10.40.0.0/16'
param appSubnetPrefix string = '10.40.1.0/24'
param privateEndpointSubnetPrefix string = '10.40.2.0/24'

param principalId string = ''

// ---- names: an abbreviation + a hash of subscription, resource group and environment name (13 lower-case letters and
// digits), never the raw environment name, which may hold characters Azure names refuse. test/infra/names.test.ts checks
// Azure's length and character rules.
var resourceToken = toLower(uniqueString(subscription().id, resourceGroup().id, environmentName))
var storageAccountName = 'st${resourceToken}'
var keyVaultName = 'kv-${resourceToken}'
var serviceBusNamespaceName = 'sb-${resourceToken}'
var functionAppName = 'func-${resourceToken}'
var planName = 'plan-${resourceToken}'
var identityName = 'id-${resourceToken}'
var logAnalyticsName = 'log-${resourceToken}'
var appInsightsName = 'appi-${resourceToken}'
var schedulerName = 'dts-${resourceToken}'
var vnetName = 'vnet-${resourceToken}'
var deploymentContainerName = 'app-package-${resourceToken}'

/**
 * Every secret setting Stagecraft reads in Azure (the docs' Secret column, less the connection strings replaced by
 * identity-based connections and the local-host-only STAGECRAFT_APPROVER_KEYS), plus the Easy Auth client secret.
 * test/infra/appsettings.test.ts keeps this list equal to the docs.
 */
var secretSettingNames = [
  'MLFLOW_WEBHOOK_SECRETS'
  'DATABRICKS_WEBHOOK_SECRETS'
  'GITHUB_WEBHOOK_SECRETS'
  'AZDO_WEBHOOK_PASSWORDS'
  'AZDO_WEBHOOK_HEADER_SECRETS'
  'AZURE_MONITOR_WEBHOOK_KEYS'
  'DRIFT_WEBHOOK_KEYS'
  'DATABRICKS_JOBS_WEBHOOK_PASSWORDS'
  'CLOUDEVENTS_KEYS'
  'MLFLOW_TRACKING_TOKEN'
  'MLFLOW_TRACKING_PASSWORD'
  'DATABRICKS_TOKEN'
  'STAGECRAFT_EVENT_KEYS'
  'STAGECRAFT_APPROVAL_LINK_SECRETS'
  'GITHUB_TOKEN'
  'AZDO_TOKEN'
  'MICROSOFT_PROVIDER_AUTHENTICATION_SECRET'
  'DATABRICKS_UC_WEBHOOK_SECRETS'
  'DATABRICKS_ALERT_WEBHOOK_KEYS'
  'AZUREML_EVENTGRID_KEYS'
]
// A setting is referenced only when its secret exists (written now or declared as managed in Key Vault): an
// unresolvable reference would reach the app as the literal reference text.
var secretsToWrite = filter(secretSettingNames, n => contains(secretValues, n))
var referencedSecrets = filter(secretSettingNames, n => contains(secretValues, n) || contains(keyVaultManagedSecrets, n))

module identity 'modules/identity.bicep' = {
  name: 'identity'
  params: { name: identityName, location: location, tags: tags }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: { logAnalyticsName: logAnalyticsName, appInsightsName: appInsightsName, location: location, tags: tags }
}

module network 'modules/network.bicep' = if (enableVnet) {
  name: 'network'
  params: {
    name: vnetName
    location: location
    tags: tags
    addressPrefix: vnetAddressPrefix
    appSubnetPrefix: appSubnetPrefix
    privateEndpointSubnetPrefix: privateEndpointSubnetPrefix
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    name: storageAccountName
    location: location
    tags: tags
    deploymentContainerName: deploymentContainerName
    publicNetworkAccess: enableVnet ? 'Disabled' : 'Enabled'
  }
}

module serviceBus 'modules/servicebus.bicep' = {
  name: 'servicebus'
  params: {
    name: serviceBusNamespaceName
    location: location
    tags: tags
    sku: serviceBusSku
    duplicateDetectionWindow: duplicateDetectionWindow
    publicNetworkAccess: enableVnet && serviceBusSku == 'Premium' ? 'Disabled' : 'Enabled'
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  params: {
    name: keyVaultName
    location: location
    tags: tags
    secretNames: secretsToWrite
    secretValues: secretValues
    publicNetworkAccess: enableVnet ? 'Disabled' : 'Enabled'
  }
}

module scheduler 'modules/durable-task-scheduler.bicep' = if (durableBackend == 'DurableTaskScheduler') {
  name: 'durable-task-scheduler'
  params: { name: schedulerName, location: location, tags: tags, sku: durableTaskSchedulerSku, taskHubName: taskHubName }
}

module privateEndpoints 'modules/private-endpoints.bicep' = if (enableVnet) {
  name: 'private-endpoints'
  params: {
    location: location
    tags: tags
    vnetId: enableVnet ? network!.outputs.vnetId : ''
    subnetId: enableVnet ? network!.outputs.privateEndpointSubnetId : ''
    storageAccountId: storage.outputs.id
    keyVaultId: keyVault.outputs.id
    serviceBusNamespaceId: serviceBusSku == 'Premium' ? serviceBus.outputs.id : ''
  }
}

module roles 'modules/roles.bicep' = {
  name: 'roles'
  params: {
    principalId: identity.outputs.principalId
    storageAccountName: storage.outputs.name
    serviceBusNamespaceName: serviceBus.outputs.name
    keyVaultName: keyVault.outputs.name
    appInsightsName: monitoring.outputs.appInsightsName
    schedulerName: durableBackend == 'DurableTaskScheduler' ? schedulerName : ''
    deployerPrincipalId: principalId
  }
  dependsOn: [scheduler]
}

var identityConnections = {
  // Functions host + Durable Functions (Azure Storage backend) through the user-assigned identity.
  AzureWebJobsStorage__accountName: storage.outputs.name
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identity.outputs.clientId
  // The app's records and reports (shared/config: StorageAccountName, DefaultAzureCredential + AZURE_CLIENT_ID).
  StorageAccountName: storage.outputs.name
  // Service Bus triggers (host) and the app's publisher (shared/bus).
  ServiceBusConnection__fullyQualifiedNamespace: serviceBus.outputs.fullyQualifiedNamespace
  ServiceBusConnection__credential: 'managedidentity'
  ServiceBusConnection__clientId: identity.outputs.clientId
  ServiceBusTopicName: serviceBus.outputs.topicName
  // DefaultAzureCredential in the app's own code (Storage, Service Bus, Databricks) picks the user-assigned identity.
  AZURE_CLIENT_ID: identity.outputs.clientId
}

// Settings that come from named deployment parameters (empty ones are left unset, as the app treats them).
var parameterSettingsAll = {
  STAGECRAFT_POLICY_PATH: policyPath
  STAGECRAFT_GROUP_MAP: groupMap
  DATABRICKS_HOST: databricksHost
  MLFLOW_TRACKING_URI: mlflowTrackingUri
  RECONCILER_MODELS: reconcilerModels
}
var parameterSettings = toObject(filter(items(parameterSettingsAll), e => !empty(e.value)), e => e.key, e => e.value)

var durableSettings = durableBackend == 'DurableTaskScheduler' ? {
  DURABLE_TASK_SCHEDULER_CONNECTION_STRING: 'Endpoint=${scheduler!.outputs.endpoint};Authentication=ManagedIdentity;ClientID=${identity.outputs.clientId}'
  // host.json names the Azure Storage provider; these app settings override it (AzureFunctionsJobHost__ path).
  AzureFunctionsJobHost__extensions__durableTask__storageProvider__type: 'azureManaged'
  AzureFunctionsJobHost__extensions__durableTask__storageProvider__connectionStringName: 'DURABLE_TASK_SCHEDULER_CONNECTION_STRING'
  AzureFunctionsJobHost__extensions__durableTask__hubName: taskHubName
} : {
  AzureFunctionsJobHost__extensions__durableTask__hubName: taskHubName
}

module functionApp 'modules/functionapp.bicep' = {
  name: 'functionapp'
  params: {
    name: functionAppName
    planName: planName
    location: location
    tags: union(tags, { 'azd-service-name': 'stagecraft' })
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    deploymentContainerUrl: '${storage.outputs.blobEndpoint}${deploymentContainerName}'
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
    appInsightsConnectionString: monitoring.outputs.connectionString
    virtualNetworkSubnetId: enableVnet ? network!.outputs.appSubnetId : ''
    keyVaultUri: keyVault.outputs.uri
    referencedSecrets: referencedSecrets
    authClientId: authClientId
    appSettings: union(extraAppSettings, parameterSettings, identityConnections, durableSettings)
  }
  // The app starts with identity-based connections: its roles must exist first.
  dependsOn: [roles, privateEndpoints]
}

output functionAppName string = functionApp.outputs.name
output publicUrl string = functionApp.outputs.publicUrl
output keyVaultName string = keyVault.outputs.name
output serviceBusNamespace string = serviceBus.outputs.name
output storageAccountName string = storage.outputs.name
output identityClientId string = identity.outputs.clientId
output authClientId string = functionApp.outputs.authClientId
