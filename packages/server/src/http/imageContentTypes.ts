/** The content types of a raw image body. */
export const IMAGE_CONTENT_TYPES = ['image/png', 'image/jpeg', 'image/bmp', 'image/x-ms-bmp', 'image/tiff', 'image/webp'] as const;
