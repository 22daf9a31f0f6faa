# The one Berth image: `berth serve` (the registry) and `berth operator` (the controller).
# Build: docker build -t berth:dev .
FROM node:24-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY bench ./bench
RUN npm run build && npm prune --omit=dev

FROM node:24-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist/src ./dist/src
COPY package.json ./
COPY deploy ./deploy
# Non-root, and nothing is written outside the storage volume, so a read-only root filesystem works.
USER 65532:65532
VOLUME /var/lib/berth
EXPOSE 5000
ENTRYPOINT ["node", "/app/dist/src/cli/main.js"]
CMD ["serve", "--addr", "0.0.0.0:5000", "--storage", "/var/lib/berth"]
