/** Tags every blueprint resource carries, so that inventory and cost tools can find the MCP estate. */
export function componentTags(component: string, name: string, extra: Record<string, string> = {}): Record<string, string> {
    return { ...extra, "mcpsec:component": component, Name: name };
}
