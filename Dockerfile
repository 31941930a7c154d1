# The web app is built in a stage of its own (Vite and React are dev dependencies); only its files
# (dist/web) reach the image, where the API serves them at /.
FROM node:20-bookworm-slim AS web
WORKDIR /app
COPY package.json package-lock.json ./
COPY web ./web
# npm ci runs `prepare`, which builds web/ into dist/web/.
RUN npm ci --no-audit --no-fund

# One image for the worker, the API and the migration job; the command picks the role.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
# `prepare` runs here too: without Vite (a dev dependency) it says so and builds nothing.
COPY web/tools/build.ts ./web/tools/build.ts
# Dev tools stay out (embedded PostgreSQL, the bounce lab's SMTP server, dev/ itself);
# tsx (a runtime dependency) runs the TypeScript entry points.
RUN npm ci --omit=dev && npm cache clean --force
COPY domain ./domain
COPY contract ./contract
COPY runtime ./runtime
COPY inbound ./inbound
COPY sending-domains ./sending-domains
COPY workflows ./workflows
COPY activities ./activities
COPY worker ./worker
COPY api ./api
COPY db ./db
COPY tsconfig.json ./
COPY --from=web /app/dist/web ./dist/web
# The workflow bundle is built once here: workers load it (WORKFLOW_BUNDLE_PATH) instead of running
# webpack at every start, which also keeps about 100 MB out of each worker.
RUN npm run build:workflows -- /app/dist/workflow-bundle.js
USER node
CMD ["npm", "run", "api"]
