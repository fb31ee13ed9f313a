// Key Vault (RBAC authorization) holding every secret setting; the app reads them through Key Vault references with
// its user-assigned identity (Key Vault Secrets User, modules/roles.bicep). Secret names are the setting names with
// '_' → '-' (Key Vault allows letters, digits and '-').
param name string
param location string
param tags object = {}
@description('Setting names whose values this deployment writes.')
param secretNames array = []
@secure()
param secretValues object = {}
@allowed(['Enabled', 'Disabled'])
param publicNetworkAccess string = 'Enabled'

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: true
    publicNetworkAccess: publicNetworkAccess
    networkAcls: {
      defaultAction: publicNetworkAccess == 'Disabled' ? 'Deny' : 'Allow'
      bypass: 'AzureServices'
    }
  }
}

resource secrets 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = [for n in secretNames: {
  parent: vault
  name: replace(n, '_', '-')
  properties: { value: secretValues[n] }
}]

output id string = vault.id
output name string = vault.name
output uri string = vault.properties.vaultUri
