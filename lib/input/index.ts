/**
 * Every accepted image input -> what the native side takes, for the library and the server alike:
 * source.ts (Buffer, { path }, { base64 }, raw pixels, bare strings), base64.ts (the one base64 rule,
 * and form-encoded bodies), raw.ts (raw pixel checks), decode.ts (sharp, accepted formats), jpeg.ts
 * (which JPEGs the GPU decoder may take), url.ts (the server's URL fetches), files.ts (command-line
 * file arguments and folders).
 */
export { base64Image, formBase64Image } from './base64';
export { ACCEPTED_FORMATS, decode, DEFAULT_PIXEL_LIMIT, sniffFormat, toFrame, type DecodedImage } from './decode';
export { expandImages, IMAGE_EXTENSIONS } from './files';
export { gpuDecodable } from './jpeg';
export { toSource, type Source } from './source';
export { allowedHost, urlFetcher, type FetchImage } from './url';
