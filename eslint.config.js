import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/", "server/generated/", "data/", "dist/", "coverage/", ".scratch/", "bench-results/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: "readonly", console: "readonly", Buffer: "readonly", URL: "readonly", setTimeout: "readonly", clearTimeout: "readonly", setInterval: "readonly", clearInterval: "readonly", AbortController: "readonly", AbortSignal: "readonly", TextEncoder: "readonly", TextDecoder: "readonly", fetch: "readonly", Response: "readonly", Request: "readonly", Headers: "readonly", FormData: "readonly", Blob: "readonly", crypto: "readonly", structuredClone: "readonly", queueMicrotask: "readonly", setImmediate: "readonly" } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-restricted-imports": ["error", { patterns: [{ group: ["**/uploader/format/*"], message: "the server never imports the uploader format" }] }],
    },
  },
  {
    files: ["uploader/**", "test/**", "scripts/**", "bin/**"],
    rules: { "no-restricted-imports": "off" },
  },
);
