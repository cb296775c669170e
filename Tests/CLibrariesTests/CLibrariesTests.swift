import Testing
import CVPX
import CSRTP
import COpenSSL
import COpus
import CYUV
import CDNNL

/// Each C library the node stands on links, initialises and does one real piece of work.
@Suite struct CLibrariesTests {
    @Test func libvpxEncoderAndDecoderInitialise() {
        var enc = vpx_codec_ctx_t()
        var cfg = vpx_codec_enc_cfg_t()
        #expect(vpx_codec_enc_config_default(vpx_codec_vp8_cx(), &cfg, 0) == VPX_CODEC_OK)
        cfg.g_w = 64
        cfg.g_h = 48
        #expect(loupe_vpx_enc_init(&enc, vpx_codec_vp8_cx(), &cfg, 0) == VPX_CODEC_OK)
        #expect(vpx_codec_destroy(&enc) == VPX_CODEC_OK)
        var dec = vpx_codec_ctx_t()
        #expect(loupe_vpx_dec_init(&dec, vpx_codec_vp9_dx(), nil, 0) == VPX_CODEC_OK)
        #expect(vpx_codec_destroy(&dec) == VPX_CODEC_OK)
        #expect(loupe_vpx_encoder_abi_version() > loupe_vpx_decoder_abi_version())
    }

    /// Only reads the version: initialising libsrtp is the SRTP module's job (once, under a lock);
    /// a second `srtp_init()` racing it from a parallel test makes it fail.
    @Test func libsrtpIsVersion2() {
        #expect(srtp_get_version() >= 0x0200_0000)
        #expect(String(cString: srtp_get_version_string()).hasPrefix("libsrtp2"))
    }

    @Test func opensslComputesSHA256() {
        let input: [UInt8] = Array("abc".utf8)
        var out = [UInt8](repeating: 0, count: 32)
        var len: UInt32 = 0
        let ok = EVP_Digest(input, input.count, &out, &len, EVP_sha256(), nil)
        #expect(ok == 1 && len == 32)
        // FIPS 180-2 test vector for "abc".
        #expect(out.prefix(4) == [0xba, 0x78, 0x16, 0xbf])
    }

    @Test func opusEncoderInitialises() {
        var err: Int32 = 0
        let enc = opus_encoder_create(48_000, 2, OPUS_APPLICATION_VOIP, &err)
        #expect(err == OPUS_OK && enc != nil)
        #expect(loupe_opus_set_bitrate(enc, 32_000) == OPUS_OK)
        opus_encoder_destroy(enc)
    }

    @Test func libyuvScalesAPlane() {
        let src = [UInt8](repeating: 200, count: 16 * 16)
        var dst = [UInt8](repeating: 0, count: 8 * 8)
        ScalePlane(src, 16, 16, 16, &dst, 8, 8, 8, kFilterBox)
        #expect(dst.allSatisfy { $0 == 200 })
    }

    @Test func oneDNNCreatesACPUEngine() {
        var engine: dnnl_engine_t?
        #expect(dnnl_engine_create(&engine, dnnl_cpu, 0) == dnnl_success)
        #expect(engine != nil)
        dnnl_engine_destroy(engine)
        #expect(dnnl_version().pointee.major >= 2)
    }
}
