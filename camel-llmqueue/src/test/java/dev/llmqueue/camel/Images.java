package dev.llmqueue.camel;

import java.util.Arrays;

/** The first bytes of each image type, padded: enough for MIME sniffing. */
final class Images {

    static final byte[] PNG = pad(0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A);
    static final byte[] JPEG = pad(0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F');
    static final byte[] GIF = pad('G', 'I', 'F', '8', '9', 'a');
    static final byte[] WEBP = pad('R', 'I', 'F', 'F', 0x24, 0x00, 0x00, 0x00, 'W', 'E', 'B', 'P', 'V', 'P', '8', ' ');
    static final byte[] PDF = pad('%', 'P', 'D', 'F', '-', '1', '.', '7');

    private Images() {
    }

    private static byte[] pad(int... magic) {
        byte[] bytes = new byte[32];
        for (int i = 0; i < magic.length; i++) {
            bytes[i] = (byte) magic[i];
        }
        Arrays.fill(bytes, magic.length, bytes.length, (byte) 7);
        return bytes;
    }
}
