# One image for the worker, the API and the migration job; the command picks the role.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
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
# The workflow bundle is built once here: workers load it (WORKFLOW_BUNDLE_PATH) instead of running
# webpack at every start, which also keeps about 100 MB out of each worker.
RUN npm run build:workflows -- /app/dist/workflow-bundle.js
USER node
CMD ["npm", "run", "api"]
