import js from "@eslint/js";
import tseslint from "typescript-eslint";

const noFormat = { group: ["**/uploader/format/*"], message: "the server never imports the uploader format" };
const noServer = { group: ["**/server/**"], message: "the uploader imports the wire contract from protocol/, nothing under server/" };
const neitherSide = { group: ["**/server/**", "**/uploader/**"], message: "protocol/ is imported by both sides and imports neither" };
const noHttp = { group: ["**/http/**"], message: "services import protocol/, never server/http/" };

export default tseslint.config(
  { ignores: ["node_modules/", "server/generated/", "data/", "dist/", "coverage/", ".scratch/", "bench-results/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: "readonly",
        console: "readonly",
        Buffer: "readonly",
        URL: "readonly",
        setTimeout: "readonly",
        clearTimeout: "readonly",
        setInterval: "readonly",
        clearInterval: "readonly",
        AbortController: "readonly",
        AbortSignal: "readonly",
        TextEncoder: "readonly",
        TextDecoder: "readonly",
        fetch: "readonly",
        Response: "readonly",
        Request: "readonly",
        Headers: "readonly",
        FormData: "readonly",
        Blob: "readonly",
        crypto: "readonly",
        structuredClone: "readonly",
        queueMicrotask: "readonly",
        setImmediate: "readonly",
      },
    },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-restricted-imports": ["error", { patterns: [noFormat] }],
    },
  },
  // The boundaries of DESIGN.md "Layers": the uploader imports the wire contract from protocol/ and
  // nothing under server/; services import protocol/, never server/http/; protocol/ imports neither side.
  { files: ["uploader/**"], rules: { "no-restricted-imports": ["error", { patterns: [noServer] }] } },
  { files: ["server/services/**"], rules: { "no-restricted-imports": ["error", { patterns: [noFormat, noHttp] }] } },
  { files: ["protocol/**"], rules: { "no-restricted-imports": ["error", { patterns: [neitherSide] }] } },
  // The web app's page runs in the browser, not on the server: its restore reads restore points with
  // the format's shared read path, through the one entry made for browsers (no node: modules).
  {
    files: ["server/web/client/**"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              regex: "/uploader/(?!format/browser\\.ts$)",
              message: "the page imports the format through uploader/format/browser.ts only",
            },
          ],
        },
      ],
    },
  },
  {
    // Routes are mounted from the route table (server/http/route-table.ts), never on a router of
    // their own: a route cannot exist without its declared audience.
    files: ["server/http/routes/**"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          paths: [{ name: "express", importNames: ["Router"], message: "mount routes through the route table (Mount)" }],
          patterns: [noFormat],
        },
      ],
      "no-restricted-properties": [
        "error",
        { object: "express", property: "Router", message: "mount routes through the route table (Mount)" },
      ],
    },
  },
  {
    files: ["test/**", "scripts/**", "bin/**"],
    rules: { "no-restricted-imports": "off" },
  },
);
