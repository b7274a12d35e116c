/* Scaled JPEG decoding with the system's libjpeg (libjpeg-turbo on Debian), for the photo
 * pipeline (media/src/pipeline/libjpeg.rs). libjpeg reports errors by calling error_exit, which
 * must not return; the longjmp that does that stays inside this file, so no Rust frame is ever
 * jumped over. */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

struct mq_error {
    struct jpeg_error_mgr mgr;
    jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
};

static void mq_error_exit(j_common_ptr cinfo) {
    struct mq_error *err = (struct mq_error *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, err->message);
    longjmp(err->jump, 1);
}

/* Warnings (a corrupt byte here and there) are not printed; the caller checks the structure. */
static void mq_output_message(j_common_ptr cinfo) { (void)cinfo; }

/* Decodes `data` to interleaved 8-bit RGB, scaled by 1/`denom` (1, 2, 4 or 8). On success returns
 * 0 and sets *out (free with momentique_jpeg_free), *width and *height. Otherwise returns 1 and writes
 * libjpeg's message into `message`; returns 2 for a colour space left to the other decoder (CMYK,
 * YCCK). */
int momentique_jpeg_decode(const unsigned char *data, unsigned long len, int denom, unsigned char **out,
                   unsigned *width, unsigned *height, char *message, size_t message_len) {
    struct jpeg_decompress_struct cinfo;
    struct mq_error err;
    unsigned char *volatile pixels = NULL;
    int status;

    *out = NULL;
    cinfo.err = jpeg_std_error(&err.mgr);
    err.mgr.error_exit = mq_error_exit;
    err.mgr.output_message = mq_output_message;
    if (setjmp(err.jump)) {
        snprintf(message, message_len, "%s", err.message);
        jpeg_destroy_decompress(&cinfo);
        free(pixels);
        return 1;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, len);
    jpeg_read_header(&cinfo, TRUE);
    if (cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK) {
        jpeg_destroy_decompress(&cinfo);
        return 2;
    }
    cinfo.out_color_space = JCS_RGB;
    cinfo.scale_num = 1;
    cinfo.scale_denom = (unsigned)denom;
    jpeg_start_decompress(&cinfo);
    {
        size_t stride = (size_t)cinfo.output_width * 3;
        pixels = malloc(stride * cinfo.output_height);
        if (pixels == NULL) {
            snprintf(message, message_len, "out of memory");
            jpeg_destroy_decompress(&cinfo);
            return 1;
        }
        while (cinfo.output_scanline < cinfo.output_height) {
            JSAMPROW row = pixels + stride * cinfo.output_scanline;
            jpeg_read_scanlines(&cinfo, &row, 1);
        }
    }
    *width = cinfo.output_width;
    *height = cinfo.output_height;
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    *out = pixels;
    status = 0;
    return status;
}

void momentique_jpeg_free(unsigned char *pixels) { free(pixels); }
