// The Entra app registration App Service authentication validates tokens for, with Stagecraft's app roles
// (shared/auth/identity.ts maps Stagecraft.Approver/Operator/Admin to roles). Uses the Microsoft Graph Bicep
// extension (infra/bicepconfig.json); the deploying principal needs Application.ReadWrite.OwnedBy (or All).
// Without those rights, create the registration by hand and pass authClientId (docs/OPERATIONS.md).
extension microsoftGraphV1

param uniqueName string
param displayName string
param redirectUri string

var roles = [
  { value: 'Stagecraft.Approver', displayName: 'Stagecraft approver', description: 'Decides approval requests the policy routes to them.' }
  { value: 'Stagecraft.Operator', displayName: 'Stagecraft operator', description: 'Starts, retries, cancels and rolls back workflows.' }
  { value: 'Stagecraft.Admin', displayName: 'Stagecraft admin', description: 'Operator, plus administrative operations (purge, audit).' }
]

resource app 'Microsoft.Graph/applications@v1.0' = {
  uniqueName: uniqueName
  displayName: displayName
  signInAudience: 'AzureADMyOrg'
  // Entra group object ids in tokens, for STAGECRAFT_GROUP_MAP.
  groupMembershipClaims: 'SecurityGroup'
  web: {
    redirectUris: [redirectUri]
    implicitGrantSettings: { enableIdTokenIssuance: true }
  }
  appRoles: [for r in roles: {
    id: guid(uniqueName, r.value)
    value: r.value
    displayName: r.displayName
    description: r.description
    allowedMemberTypes: ['User', 'Application']
    isEnabled: true
  }]
}

resource servicePrincipal 'Microsoft.Graph/servicePrincipals@v1.0' = {
  appId: app.appId
}

output clientId string = app.appId
