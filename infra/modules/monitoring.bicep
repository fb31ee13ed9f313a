// Application Insights on a Log Analytics workspace; local (key) authentication off: the app's identity publishes
// telemetry with Monitoring Metrics Publisher (modules/roles.bicep, APPLICATIONINSIGHTS_AUTHENTICATION_STRING).
param logAnalyticsName string
param appInsightsName string
param location string
param tags object = {}
@description('Days the workspace keeps data (30 are included in the ingestion price).')
param retentionInDays int = 30
@description('Daily ingestion cap in GB (-1: none). A drift storm cannot run up an unbounded bill.')
param dailyQuotaGb int = 5

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: logAnalyticsName
  location: location
  tags: tags
  properties: {
    sku: { name: 'PerGB2018' }
    retentionInDays: retentionInDays
    workspaceCapping: { dailyQuotaGb: dailyQuotaGb }
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: appInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    DisableLocalAuth: true
  }
}

output appInsightsName string = appInsights.name
output connectionString string = appInsights.properties.ConnectionString
output workspaceId string = workspace.id
