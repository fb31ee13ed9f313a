// The Function App on Flex Consumption (Linux, Node 22): package from a blob container read with the user-assigned
// identity, identity-based connections, Key Vault references for secrets, App Service authentication (Entra ID,
// unauthenticated requests allowed: the app enforces identity itself, docs/SECURITY.md).
// Not set on purpose (Flex manages or ignores them; shared/config/azure.ts NOT_ON_FLEX): FUNCTIONS_WORKER_RUNTIME,
// FUNCTIONS_EXTENSION_VERSION, WEBSITE_RUN_FROM_PACKAGE, WEBSITE_TIME_ZONE.
param name string
param planName string
param location string
param tags object = {}
param identityId string
param identityClientId string
param deploymentContainerUrl string
param instanceMemoryMB int
param maximumInstanceCount int
param appInsightsConnectionString string
@description('Subnet for VNet integration; empty: none.')
param virtualNetworkSubnetId string = ''
param keyVaultUri string
@description('Secret settings to reference from Key Vault (their secrets exist).')
param referencedSecrets array
@description('Entra app registration client id; empty: create one (modules/app-registration.bicep).')
param authClientId string = ''
@description('Further app settings (named parameters such as STAGECRAFT_POLICY_PATH, identity-based connections, durable backend, operator extras).')
param appSettings object = {}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: { tier: 'FlexConsumption', name: 'FC1' }
  properties: { reserved: true }
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identityId}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: identityId
    virtualNetworkSubnetId: empty(virtualNetworkSubnetId) ? null : virtualNetworkSubnetId
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
      }
      runtime: {
        name: 'node'
        version: '22'
      }
    }
  }
}

module appRegistration 'app-registration.bicep' = if (empty(authClientId)) {
  name: 'app-registration'
  params: {
    uniqueName: 'stagecraft-${name}'
    displayName: 'Stagecraft (${name})'
    redirectUri: 'https://${site.properties.defaultHostName}/.auth/login/aad/callback'
  }
}

var clientId = empty(authClientId) ? appRegistration!.outputs.clientId : authClientId

var keyVaultReferences = toObject(referencedSecrets, n => n, n => '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/${replace(n, '_', '-')}/)')

var stagecraftSettings = {
  APPLICATIONINSIGHTS_CONNECTION_STRING: appInsightsConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
  STAGECRAFT_PUBLIC_URL: 'https://${site.properties.defaultHostName}'
  // Identity (docs/SECURITY.md): trust App Service authentication's principal, only from this tenant.
  STAGECRAFT_TRUST_CLIENT_PRINCIPAL: 'true'
  STAGECRAFT_AUTH_PROVIDERS: 'aad'
  STAGECRAFT_AUTH_TENANT_ID: tenant().tenantId
}

resource settings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: site
  name: 'appsettings'
  properties: union(appSettings, stagecraftSettings, keyVaultReferences)
}

resource auth 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: site
  name: 'authsettingsV2'
  properties: {
    platform: { enabled: true }
    globalValidation: {
      // Webhooks and function-key routes must stay reachable; identity routes refuse unidentified callers in the app.
      requireAuthentication: false
      unauthenticatedClientAction: 'AllowAnonymous'
    }
    httpSettings: { requireHttps: true }
    identityProviders: {
      azureActiveDirectory: {
        enabled: true
        registration: union({
          clientId: clientId
          openIdIssuer: '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
        }, contains(referencedSecrets, 'MICROSOFT_PROVIDER_AUTHENTICATION_SECRET') ? { clientSecretSettingName: 'MICROSOFT_PROVIDER_AUTHENTICATION_SECRET' } : {})
        validation: {
          allowedAudiences: [clientId, 'api://${clientId}']
        }
      }
    }
    login: { tokenStore: { enabled: false } }
  }
  dependsOn: [settings]
}

output name string = site.name
output publicUrl string = 'https://${site.properties.defaultHostName}'
output authClientId string = clientId
