// Entry point of the Pulumi program (Pulumi.yaml `main`). The engine calls the exported function and
// publishes what it returns as the stack outputs.
import { main } from "./program";

export = main;
