// Lint: typescript-eslint's recommended rules everywhere; Pulumi's Output rules (which need type information)
// where Pulumi programs and components live.
import js from "@eslint/js";
import pulumi from "@pulumi/eslint-plugin";
import tseslint from "typescript-eslint";

export default tseslint.config(
    // test/fixtures/programs: programs written by others (Pulumi's examples), run as they are by `--program` tests.
    { ignores: ["node_modules/**", "dist/**", "coverage/**", ".mcpsec/**", "test/fixtures/programs/**"] },
    js.configs.recommended,
    ...tseslint.configs.recommended,
    {
        rules: {
            "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
        },
    },
    {
        files: ["bin/**/*.js"],
        languageOptions: { sourceType: "commonjs", globals: { require: "readonly", process: "readonly", setImmediate: "readonly" } },
        rules: { "@typescript-eslint/no-require-imports": "off" },
    },
    {
        files: ["components/**/*.ts", "program.ts", "index.ts"],
        languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
        plugins: { "@pulumi": pulumi },
        rules: {
            "@pulumi/no-output-in-template-literal": "error",
            "@pulumi/no-output-instance-in-template-literal": "error",
        },
    },
);
