import type { Props } from "./rule";

/**
 * The container definitions of a task definition (a JSON string input), or undefined when they are not known: unset,
 * not yet known (preview), not JSON, or not an array. Rules report that rather than pass an empty task.
 */
export function taskContainersOf(props: Props): Props[] | undefined {
    const raw = props.containerDefinitions;
    if (Array.isArray(raw)) {
        return raw as Props[];
    }
    if (typeof raw !== "string") {
        return undefined;
    }
    try {
        const parsed = JSON.parse(raw) as unknown;
        return Array.isArray(parsed) ? (parsed as Props[]) : undefined;
    } catch {
        return undefined;
    }
}
