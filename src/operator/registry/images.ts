/**
 * Which images a Registry may run (pure): creating a Registry must not mean running arbitrary code in the cluster, so
 * `spec.image` must match one of the operator's `--allowed-images` patterns (default: exactly the operator's own
 * `--image`). A pattern is an image reference in which `*` matches any run of characters (`ghcr.io/berth/berth:*`,
 * `registry.internal/berth@sha256:*`); `*` alone allows every image.
 */

/** Whether `image` matches `pattern` (`*` matches any characters, everything else literally). */
export function imageMatches(pattern: string, image: string): boolean {
  const escaped = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\/]/g, '\\$&'));
  return new RegExp(`^${escaped.join('.*')}$`).test(image);
}

/** The allowed patterns in force: the given ones, or else the operator's default image alone (or nothing). */
export function effectiveAllowedImages(allowed: readonly string[] | undefined, defaultImage: string | undefined): string[] {
  if (allowed && allowed.length > 0) return [...allowed];
  return defaultImage ? [defaultImage] : [];
}

/** Why `image` may not run; undefined when it may. */
export function imageProblem(image: string, allowed: readonly string[]): string | undefined {
  if (allowed.some((p) => imageMatches(p, image))) return undefined;
  const list = allowed.length ? allowed.join(', ') : '(none)';
  return (
    `image "${image}" is not allowed by the operator (--allowed-images: ${list}); use an allowed image, or ask the ` +
    "cluster's administrators to allow it (Helm value allowedImages); the registry pods are left as they are"
  );
}
