import * as path from "path";
import { GraphResource, ResourceGraph } from "../cli/graph";
import { findProject } from "../cli/project";
import { synthesizeProgram } from "../cli/synth";

export const ROOT = path.resolve(__dirname, "..");
export const project = findProject(ROOT);
export const FIXTURE_STACKS = path.join(ROOT, "test", "fixtures", "stacks");

/** Synthesizes a program that builds one component, with `aws:region` set. */
export function synthComponent(program: () => unknown, region = "eu-west-1"): Promise<ResourceGraph> {
    return synthesizeProgram({ project: "test", stack: "unit", config: { "aws:region": region }, program: async () => { program(); } });
}

export function ofType(graph: ResourceGraph, type: string): GraphResource[] {
    return graph.resources.filter((r) => r.type === type);
}

export function one(graph: ResourceGraph, type: string): GraphResource {
    const found = ofType(graph, type);
    if (found.length !== 1) {
        throw new Error(`expected one ${type}, found ${found.length}`);
    }
    return found[0];
}

/** A deep copy of a graph, for tests that break one property. */
export function cloneGraph(graph: ResourceGraph): ResourceGraph {
    return JSON.parse(JSON.stringify(graph)) as ResourceGraph;
}
