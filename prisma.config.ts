// Prisma CLI configuration. With a config file present the CLI does not load .env itself, and
// it must always see a DATABASE_URL: without one it falls back to downloading a query engine,
// which fails offline.
import "dotenv/config";
import { defineConfig } from "prisma/config";
import { PrismaPg } from "@prisma/adapter-pg";

const connectionString = process.env.DATABASE_URL ?? "postgresql://localhost:5432/datasafe";
process.env.DATABASE_URL = connectionString;

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: "prisma/schema.prisma",
  // A short idle timeout: the CLI never closes the pool, and would otherwise wait 10 s to exit.
  adapter: async () => new PrismaPg({ connectionString, idleTimeoutMillis: 50 }),
});
