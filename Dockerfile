# modelship's production images, from one build. Two targets, the same layers:
#   modelship    the tool image of the bake steps (cloudbuild/bake-model.yaml). It runs as root because Cloud Build
#                mounts /workspace root-owned and has no per-step user; `modelship` is on PATH (/usr/local/bin).
#   load-tester  the Cloud Run job's image: the same files, run as the unprivileged `node` user.
# Build from the repository root:  docker build --target load-tester -t load-tester .
# Only what runs goes in: the compiled CLI, load tester and shared code, production dependencies, the .proto files
# and the scenarios; no local/ stand-ins, bench/, test/ or devDependencies.
# The base is pinned by digest. The local stack builds with --build-arg NODE_IMAGE=<its stand-in> (local/images/).
ARG NODE_IMAGE=docker.io/library/node:22-bookworm-slim@sha256:43ac6c60b8f89723f746e8a92ce91abd5017e627ce1ddfe4238355d3a30b772c

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY functions functions
COPY shared shared
COPY bake-steps bake-steps
COPY loadtest loadtest
COPY operator operator
COPY local local
COPY cli cli
COPY bench bench
RUN npx tsc -p tsconfig.build.json && npm prune --omit=dev --no-audit --no-fund
# The images run `modelship bake` and `modelship loadtest`, never a function: the clients only the functions and the
# provisioning commands use stay out (a third of node_modules).
RUN npm uninstall --no-save --omit=dev --no-audit --no-fund @kubernetes/client-node @octokit/rest \
    @google-cloud/functions-framework @google-cloud/container @google-cloud/cloudbuild @google-cloud/run

FROM ${NODE_IMAGE} AS modelship
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist/cli dist/cli
COPY --from=build /app/dist/shared dist/shared
COPY --from=build /app/dist/bake-steps dist/bake-steps
COPY --from=build /app/dist/operator dist/operator
COPY --from=build /app/dist/loadtest dist/loadtest
COPY package.json firebase.json ./
COPY scenarios scenarios
# .proto files are read at run time from the package root (shared/paths.ts).
COPY shared/tfserving/protos shared/tfserving/protos
RUN ln -s /app/dist/cli/main.js /usr/local/bin/modelship && chmod +x /app/dist/cli/main.js \
 && modelship bake --help >/dev/null && modelship loadtest --help >/dev/null
ENTRYPOINT ["modelship"]

FROM modelship AS load-tester
USER node
ENTRYPOINT ["modelship", "loadtest"]
