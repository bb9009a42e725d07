# One image for both roles (api, worker): the service runs its TypeScript sources through tsx,
# so there is no build step. Production runs Node 24.
FROM node:24-bookworm-slim

WORKDIR /app

# Dependencies first, so source edits do not invalidate the npm layer. The postinstall script runs
# `prisma generate`, which needs the schema and prisma.config.ts; it writes server/generated/.
COPY package.json package-lock.json prisma.config.ts ./
COPY prisma ./prisma
RUN npm ci --omit=dev && npm cache clean --force

COPY . .

ENV NODE_ENV=production
# The processes never write to /app (blobs go to S3, JWT_SECRET comes from the environment).
USER node
EXPOSE 8080
CMD ["npm", "run", "start:api"]
