/**
 * The parts of the AWS SDK that the S3 storage uses, in one module that s3.ts imports on first use: the SDK adds
 * about 30 MiB to the process, and most installations read a filesystem (NFS) repository and never need it.
 *
 * Named imports here, not `import()` of the packages themselves: both are CommonJS, and once bundled (scripts/
 * bundle.ts) an `import()` of a CommonJS package yields only its `default`, because the bundler cannot list the
 * exports as Node's loader does. A named import resolves in both forms.
 */
export { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
export { NodeHttpHandler } from '@smithy/node-http-handler';
