/**
 * `visualize_predictions` / `?format=image`: the image with its top classes written on it (a dark box
 * with "class confidence" lines, drawn by sharp from an SVG), as a JPEG. Roboflow's server draws its
 * own style; this is the same information, not the same pixels.
 */
import sharp from 'sharp';
import type { ClassificationResult } from '../types';

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Up to `count` "class confidence" lines, highest first. */
function lines(result: ClassificationResult, count: number): string[] {
  if ('top' in result) return result.predictions.slice(0, count).map((p) => `${p.class} ${p.confidence.toFixed(2)}`);
  return result.predicted_classes.slice(0, count).map((c) => `${c} ${result.predictions[c].confidence.toFixed(2)}`);
}

export async function visualize(image: Uint8Array, result: ClassificationResult): Promise<Buffer> {
  const { width, height } = result.image;
  const text = lines(result, 3);
  const size = Math.max(10, Math.min(32, Math.round(Math.min(width, height) / 14)));
  const boxWidth = Math.min(width, Math.max(...text.map((t) => t.length), 4) * size * 0.62 + size);
  const boxHeight = Math.min(height, (text.length || 1) * size * 1.3 + size * 0.4);
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
    `<rect x="0" y="0" width="${boxWidth.toFixed(0)}" height="${boxHeight.toFixed(0)}" fill="black" fill-opacity="0.6"/>` +
    text.map((t, i) => `<text x="${(size / 2).toFixed(0)}" y="${((i + 1) * size * 1.3).toFixed(0)}" font-family="sans-serif" font-size="${size}" fill="white">${escape(t)}</text>`).join('') +
    '</svg>';
  return sharp(image).rotate().composite([{ input: Buffer.from(svg), top: 0, left: 0 }]).jpeg({ quality: 85 }).toBuffer();
}
