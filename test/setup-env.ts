// Runs in each test worker before the test file loads: quiet logs, no SDK notice.
process.env.TESSERA_LOG_LEVEL ??= 'ERROR';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
