/** Environment variable names that look like credentials: these belong in a secret store, never plain environment. */
export const CREDENTIAL_NAME = /(SECRET|PASSWORD|PASSWD|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIAL|ACCESS_?KEY)/i;
