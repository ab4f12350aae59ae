// Imported first by bench/run.ts: settles the environment before any module reads it at load
// (the logger reads its level then). The rest of the configuration is set once the store runs.
process.env.TESSERA_LOG_LEVEL ??= 'ERROR';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
