// Stagecraft on Azure: `azd up` entry point (subscription scope: creates the resource group, then resources.bicep).
// Without azd: `az deployment group create -g <rg> -f infra/resources.bicep -p environmentName=<name> policyPath=...`.
// What was and was not validated offline: infra/README.md.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('azd environment name; resource names are an abbreviation + a hash of subscription, resource group and this name.')
param environmentName string

@minLength(1)
@description('Azure region of every resource.')
param location string

@description('Resource group name; default rg-<environmentName>.')
param resourceGroupName string = ''

@minLength(1)
@description('STAGECRAFT_POLICY_PATH: the policy file packaged with the app, relative to the app root (required in Azure).')
param policyPath string

@description('DATABRICKS_HOST: Azure Databricks workspace URL (required for runner: databricks jobs).')
param databricksHost string = ''

@description('MLFLOW_TRACKING_URI: MLflow tracking server (required for the registry reconciler).')
param mlflowTrackingUri string = ''

@description('RECONCILER_MODELS: registered models the reconciler polls, comma-separated.')
param reconcilerModels string = ''

@allowed(['AzureStorage', 'DurableTaskScheduler'])
@description('Durable Functions backend: Azure Storage (default) or Durable Task Scheduler.')
param durableBackend string = 'AzureStorage'

@description('Flex Consumption instance memory in MB (512, 2048 or 4096).')
@allowed([512, 2048, 4096])
param instanceMemoryMB int = 2048

@minValue(1)
@maxValue(1000)
@description('Flex Consumption maximum instance count.')
param maximumInstanceCount int = 40

@description('Entra app registration client id for App Service authentication. Empty: the template creates one (Microsoft Graph Bicep extension; needs Application.ReadWrite rights).')
param authClientId string = ''

@description('STAGECRAFT_GROUP_MAP: policy groups from Entra group object ids or app roles, e.g. ml-approvers=Stagecraft.Approver.')
param groupMap string = ''

@description('Non-secret app settings to add (MLFLOW_TRACKING_URI, RECONCILER_MODELS, DATABRICKS_HOST, ...).')
param extraAppSettings object = {}

@secure()
@description('Secret settings to write into Key Vault: { "GITHUB_WEBHOOK_SECRETS": "...", ... }. Only allowed names (resources.bicep secretSettingNames).')
param secretValues object = {}

@description('Secret settings whose values already are in Key Vault (set there out of band); referenced but never written.')
param keyVaultManagedSecrets array = []

@description('Put the Function App in a VNet and the storage account, Service Bus and Key Vault behind private endpoints.')
param enableVnet bool = false

@description('Object id of the deploying user, granted Key Vault Secrets Officer to set secrets by hand (optional).')
param principalId string = ''

var tags = { 'azd-env-name': environmentName }

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: empty(resourceGroupName) ? 'rg-${environmentName}' : resourceGroupName
  location: location
  tags: tags
}

module resources 'resources.bicep' = {
  name: 'stagecraft-resources'
  scope: rg
  params: {
    environmentName: environmentName
    location: location
    tags: tags
    policyPath: policyPath
    databricksHost: databricksHost
    mlflowTrackingUri: mlflowTrackingUri
    reconcilerModels: reconcilerModels
    durableBackend: durableBackend
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
    authClientId: authClientId
    groupMap: groupMap
    extraAppSettings: extraAppSettings
    secretValues: secretValues
    keyVaultManagedSecrets: keyVaultManagedSecrets
    enableVnet: enableVnet
    principalId: principalId
  }
}

output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = resources.outputs.functionAppName
output STAGECRAFT_PUBLIC_URL string = resources.outputs.publicUrl
output AZURE_KEY_VAULT_NAME string = resources.outputs.keyVaultName
output AZURE_SERVICEBUS_NAMESPACE string = resources.outputs.serviceBusNamespace
output AZURE_STORAGE_ACCOUNT string = resources.outputs.storageAccountName
output AZURE_CLIENT_ID string = resources.outputs.identityClientId
output STAGECRAFT_AUTH_CLIENT_ID string = resources.outputs.authClientId
