/**
 * QR codes for OMEMO verification, entirely in the browser: drawing this tab's code (qrcode) and reading a
 * contact's code (jsQR) from the camera or from a picture of it. Loaded with the security panel only.
 */
import QRCode from 'qrcode';
import jsQRModule from 'jsqr';

// jsqr is CommonJS: its module object is the function and also carries it as `default`, which TypeScript sees.
const jsQR = jsQRModule.default;

/** A PNG data: URL (allowed by the CSP's img-src) of `text` as a QR code. */
export function qrImage(text: string): Promise<string> {
  return QRCode.toDataURL(text, { errorCorrectionLevel: 'M', margin: 2, width: 240 });
}

/** Pictures larger than this are scaled down first: jsQR's cost grows with the pixel count. */
const MAX_SIDE = 1600;

function decodePixels(source: CanvasImageSource, width: number, height: number): string | null {
  const scale = Math.min(1, MAX_SIDE / Math.max(width, height));
  const w = Math.max(1, Math.round(width * scale));
  const h = Math.max(1, Math.round(height * scale));
  const canvas = document.createElement('canvas');
  canvas.width = w;
  canvas.height = h;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) return null;
  ctx.drawImage(source, 0, 0, w, h);
  const { data } = ctx.getImageData(0, 0, w, h);
  return jsQR(data, w, h, { inversionAttempts: 'attemptBoth' })?.data ?? null;
}

/** The text of the QR code in a picture (a photo or a screenshot of the contact's code), or null. */
export async function readQrFromFile(file: Blob): Promise<string | null> {
  const bitmap = await createImageBitmap(file);
  try {
    return decodePixels(bitmap, bitmap.width, bitmap.height);
  } finally {
    bitmap.close();
  }
}

/** The camera needs a secure context (HTTPS or localhost). */
export function cameraAvailable(): boolean {
  return window.isSecureContext && !!navigator.mediaDevices?.getUserMedia;
}

/**
 * Shows the camera in `video` and resolves with the first QR code's text. `stop()` ends scanning (resolves null).
 * The camera is released in every case.
 */
export function scanWithCamera(video: HTMLVideoElement): { result: Promise<string | null>; stop(): void } {
  let stopped = false;
  let stream: MediaStream | null = null;
  let wake: (() => void) | null = null;
  const stop = (): void => {
    stopped = true;
    wake?.();
  };
  const result = (async () => {
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
    try {
      video.srcObject = stream;
      await video.play();
      while (!stopped) {
        if (video.videoWidth > 0) {
          const text = decodePixels(video, video.videoWidth, video.videoHeight);
          if (text) return text;
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 200);
        });
      }
      return null;
    } finally {
      for (const track of stream.getTracks()) track.stop();
      video.srcObject = null;
    }
  })();
  return { result, stop };
}
