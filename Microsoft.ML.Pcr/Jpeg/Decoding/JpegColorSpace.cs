namespace Microsoft.ML.Pcr.Jpeg;

/// <summary>The colour space of the coded components, as libjpeg names it (J_COLOR_SPACE's jpeg_color_space values).</summary>
internal enum JpegColorSpace
{
    /// <summary>JCS_UNKNOWN: 2 components, or more than 4.</summary>
    Unknown = 0,

    /// <summary>JCS_GRAYSCALE.</summary>
    Grayscale = 1,

    /// <summary>JCS_RGB.</summary>
    Rgb = 2,

    /// <summary>JCS_YCbCr.</summary>
    YCbCr = 3,

    /// <summary>JCS_CMYK.</summary>
    Cmyk = 4,

    /// <summary>JCS_YCCK.</summary>
    Ycck = 5,
}

/// <summary>libjpeg-turbo's guess of the coded colour space from the markers (jdapimin.c default_decompress_parms), which jpegtran carries over.</summary>
internal static class JpegColorSpaceRules
{
    /// <summary>Decides the colour space from the component count and ids and the JFIF/Adobe evidence.</summary>
    /// <param name="componentIds">The frame's component ids in order.</param>
    /// <param name="sawJfif">Whether a JFIF APP0 was seen.</param>
    /// <param name="sawAdobe">Whether an Adobe APP14 was seen.</param>
    /// <param name="adobeTransform">The Adobe transform flag.</param>
    /// <param name="unexpectedTransform">Set when libjpeg would warn about the Adobe transform (JWRN_ADOBE_XFORM).</param>
    public static JpegColorSpace Decide(ReadOnlySpan<byte> componentIds, bool sawJfif, bool sawAdobe, byte adobeTransform, out bool unexpectedTransform)
    {
        unexpectedTransform = false;
        switch (componentIds.Length)
        {
            case 1:
                return JpegColorSpace.Grayscale;
            case 3:
                if (sawJfif)
                {
                    return JpegColorSpace.YCbCr; // JFIF implies YCbCr, even with an Adobe marker or R,G,B ids
                }

                if (sawAdobe)
                {
                    switch (adobeTransform)
                    {
                        case 0:
                            return JpegColorSpace.Rgb;
                        case 1:
                            return JpegColorSpace.YCbCr;
                        default:
                            unexpectedTransform = true;
                            return JpegColorSpace.YCbCr;
                    }
                }

                if (componentIds[0] == 1 && componentIds[1] == 2 && componentIds[2] == 3)
                {
                    return JpegColorSpace.YCbCr;
                }

                return componentIds[0] == 'R' && componentIds[1] == 'G' && componentIds[2] == 'B' ? JpegColorSpace.Rgb : JpegColorSpace.YCbCr;
            case 4:
                if (!sawAdobe)
                {
                    return JpegColorSpace.Cmyk;
                }

                switch (adobeTransform)
                {
                    case 0:
                        return JpegColorSpace.Cmyk;
                    case 2:
                        return JpegColorSpace.Ycck;
                    default:
                        unexpectedTransform = true;
                        return JpegColorSpace.Ycck;
                }

            default:
                return JpegColorSpace.Unknown;
        }
    }
}
